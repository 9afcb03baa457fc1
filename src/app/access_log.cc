#include "app/access_log.h"

#include <boost/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace fulcrum {

namespace {
std::shared_ptr<spdlog::logger> access_logger() {
  static auto logger = [] {
    auto l = spdlog::stdout_logger_mt("access");
    l->set_pattern("%v");
    return l;
  }();
  return logger;
}
}  // namespace

AccessLog::AccessLog() { access_logger(); }

void AccessLog::on_request_done(const RequestRecord& r) {
  boost::json::object o;
  o["request_id"] = r.id;
  o["model"] = r.model_requested;
  o["tier"] = r.tier;
  o["upstream_model"] = r.upstream_model;
  o["reason"] = r.reason;
  o["stream"] = r.stream;
  o["escalated"] = r.escalated;
  o["status"] = r.status;
  o["attempts"] = r.attempts;
  o["prompt_tokens"] = r.usage.prompt_tokens;
  o["cache_hit_tokens"] = r.usage.cache_hit_tokens;
  o["cache_miss_tokens"] = r.usage.cache_miss_tokens;
  o["completion_tokens"] = r.usage.completion_tokens;
  o["reasoning_tokens"] = r.usage.reasoning_tokens;
  o["cost_usd"] = format_usd(r.cost);
  o["cost_estimated"] = r.usage.estimated;
  // Integer microseconds: JSON doubles would print as 7.97101E-1.
  o["ttfb_us"] = static_cast<std::int64_t>(r.ttfb_ms * 1000);
  o["total_us"] = static_cast<std::int64_t>(r.total_ms * 1000);
  o["overhead_us"] = static_cast<std::int64_t>(r.overhead_ms * 1000);
  if (!r.error.empty()) o["error"] = r.error;
  access_logger()->info(boost::json::serialize(o));
}

}  // namespace fulcrum
