#include "openai/feedback.h"

#include <boost/json.hpp>

#include "core/clock.h"
#include "core/json_parse.h"

namespace fulcrum {

Result<FeedbackRecord> parse_feedback(std::string_view body) {
  boost::system::error_code ec;
  auto v = parse_json(body, ec);
  if (ec) return make_error(Errc::invalid_json, "the body is not valid JSON: " + describe_json_error(ec));
  auto* o = v.if_object();
  if (!o) return make_error(Errc::invalid_request, "the body must be a JSON object");
  FeedbackRecord f;
  auto id = o->find("request_id");
  if (id == o->end() || !id->value().is_string() || id->value().get_string().empty())
    return make_error(Errc::invalid_request, "request_id is required: the x-fulcrum-request-id of the answer",
                      "request_id");
  f.request_id = std::string(id->value().get_string());
  auto score = o->find("score");
  auto success = o->find("success");
  if ((score == o->end()) == (success == o->end()))
    return make_error(Errc::invalid_request, "give exactly one of score (0 to 1) and success (true or false)", "score");
  if (score != o->end()) {
    if (!score->value().is_number() || score->value().to_number<double>() < 0 || score->value().to_number<double>() > 1)
      return make_error(Errc::invalid_request, "score must be a number from 0 to 1", "score");
    f.score = score->value().to_number<double>();
  } else {
    if (!success->value().is_bool()) return make_error(Errc::invalid_request, "success must be true or false", "success");
    f.score = success->value().get_bool() ? 1.0 : 0.0;
  }
  for (const char* key : {"error_cost_usd", "error_cost"}) {
    auto it = o->find(key);
    if (it == o->end()) continue;
    if (!it->value().is_number() || !(it->value().to_number<double>() >= 0) ||
        it->value().to_number<double>() > kMaxFeedbackErrorCostUsd)
      return make_error(Errc::invalid_request,
                        std::string(key) + " must be a number from 0 to " + std::to_string(kMaxFeedbackErrorCostUsd) +
                            " (USD)", key);
    f.error_cost_usd = it->value().to_number<double>();
  }
  f.unix_ms = unix_ms_now();
  return f;
}

}  // namespace fulcrum
