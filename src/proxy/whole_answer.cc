#include "proxy/whole_answer.h"

#include <boost/json.hpp>

#include "core/json_parse.h"

namespace fulcrum {

std::string without_logprobs(std::string_view answer) {
  boost::system::error_code ec;
  auto v = parse_json(answer, ec);
  auto* obj = ec ? nullptr : v.if_object();
  if (!obj) return std::string(answer);
  if (auto choices = obj->find("choices"); choices != obj->end() && choices->value().is_array())
    for (auto& c : choices->value().get_array())
      if (auto* choice = c.if_object()) (*choice)["logprobs"] = nullptr;
  return boost::json::serialize(*obj);
}

}  // namespace fulcrum
