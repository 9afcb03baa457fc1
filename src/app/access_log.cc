#include "app/access_log.h"

#include <cstdint>
#include <iterator>
#include <memory>

#include <boost/json/serializer.hpp>
#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/money.h"

namespace fulcrum {

namespace {

constexpr std::size_t kQueuedLines = 8192;

struct AsyncAccessLogger {
  // Destroyed in reverse: the logger first, then the pool, whose thread writes
  // what is still queued before it ends (a normal exit loses no line).
  std::shared_ptr<spdlog::details::thread_pool> pool = std::make_shared<spdlog::details::thread_pool>(kQueuedLines, 1);
  std::shared_ptr<spdlog::async_logger> logger = [this] {
    // One writing thread: the single-threaded sink needs no lock of its own.
    auto l = std::make_shared<spdlog::async_logger>("access", std::make_shared<spdlog::sinks::stdout_sink_st>(), pool,
                                                    spdlog::async_overflow_policy::block);
    l->set_pattern("%v");
    return l;
  }();
};

spdlog::async_logger& access_logger() {
  static AsyncAccessLogger instance;
  return *instance.logger;
}

// A JSON string: Boost.JSON's serializer does the escaping, into a stack buffer.
void append_json_string(std::string& out, std::string_view s) {
  thread_local boost::json::serializer serializer;
  serializer.reset(s);
  char buffer[256];
  while (!serializer.done()) out.append(serializer.read(buffer, sizeof buffer));
}

void append_string_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  append_json_string(out, value);
}

}  // namespace

std::string format_access_line(const RequestRecord& r) {
  std::string out;
  out.reserve(512);
  append_string_field(out, "{\"request_id\":", r.id);
  append_string_field(out, ",\"model\":", r.model_requested);
  append_string_field(out, ",\"tier\":", r.tier);
  append_string_field(out, ",\"upstream_model\":", r.upstream_model);
  append_string_field(out, ",\"reason\":", r.reason);
  // Integer microseconds: JSON doubles would print as 7.97101E-1.
  fmt::format_to(std::back_inserter(out),
                 ",\"stream\":{},\"escalated\":{},\"status\":{},\"attempts\":{},\"prompt_tokens\":{},"
                 "\"cache_hit_tokens\":{},\"cache_miss_tokens\":{},\"completion_tokens\":{},\"reasoning_tokens\":{}",
                 r.stream, r.escalated, r.status, r.attempts, r.usage.prompt_tokens, r.usage.cache_hit_tokens,
                 r.usage.cache_miss_tokens, r.usage.completion_tokens, r.usage.reasoning_tokens);
  append_string_field(out, ",\"cost_usd\":", format_usd(r.cost));
  fmt::format_to(std::back_inserter(out), ",\"cost_estimated\":{},\"ttfb_us\":{},\"total_us\":{},\"overhead_us\":{}",
                 r.usage.estimated, static_cast<std::int64_t>(r.ttfb_ms * 1000),
                 static_cast<std::int64_t>(r.total_ms * 1000), static_cast<std::int64_t>(r.overhead_ms * 1000));
  if (!r.error.empty()) append_string_field(out, ",\"error\":", r.error);
  out.push_back('}');
  return out;
}

AccessLog::AccessLog() { access_logger(); }

void AccessLog::on_request_done(const RequestRecord& r) { access_logger().info(format_access_line(r)); }

}  // namespace fulcrum
