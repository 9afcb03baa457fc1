#include "proxy/whole_answer.h"

#include <boost/json.hpp>

#include "proxy/stream_relay.h"

namespace fulcrum {

WholeAnswer inspect_whole_answer(const boost::json::object& answer) {
  WholeAnswer out;
  if (auto it = answer.find("usage"); it != answer.end() && it->value().is_object())
    out.usage = parse_usage(it->value().get_object());
  auto choices = answer.find("choices");
  out.has_choices = choices != answer.end() && choices->value().is_array();
  if (!out.has_choices) return out;
  const auto& list = choices->value().get_array();
  for (const auto& c : list) {
    const auto* choice = c.if_object();
    if (!choice) continue;
    auto m = choice->find("message");
    if (m == choice->end() || !m->value().is_object()) continue;
    out.answer_code_points += answer_code_points(m->value().get_object());
  }
  if (!list.empty()) append_logprobs(list[0], out.logprobs);
  return out;
}

void drop_logprobs(boost::json::object& answer) {
  auto choices = answer.find("choices");
  if (choices == answer.end() || !choices->value().is_array()) return;
  for (auto& c : choices->value().get_array())
    if (auto* choice = c.if_object()) (*choice)["logprobs"] = nullptr;
}

}  // namespace fulcrum
