#include "telemetry/otlp_exporter.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "core/money.h"
#include "http/asio.h"

namespace fulcrum {
namespace {

namespace json = boost::json;

// OTLP's SpanKind and StatusCode.
constexpr int kSpanServer = 2, kSpanClient = 3;
constexpr int kStatusOk = 1, kStatusError = 2;
constexpr std::size_t kBatch = 512;  // requests per export at most

json::object attribute(std::string_view key, json::object value) {
  return json::object{{"key", key}, {"value", std::move(value)}};
}
json::object text(std::string_view key, std::string_view v) { return attribute(key, {{"stringValue", v}}); }
// OTLP/JSON carries 64-bit integers as decimal strings.
json::object integer(std::string_view key, std::int64_t v) { return attribute(key, {{"intValue", std::to_string(v)}}); }
json::object real(std::string_view key, double v) { return attribute(key, {{"doubleValue", v}}); }
json::object boolean(std::string_view key, bool v) { return attribute(key, {{"boolValue", v}}); }

json::object request_span(const RequestRecord& r) {
  const auto start_ns = r.unix_ms * 1000000;
  const auto end_ns = start_ns + static_cast<std::int64_t>(r.total_ms * 1e6);
  json::array a{text("gen_ai.operation.name", "chat"),
                text("gen_ai.request.model", r.model_requested),
                integer("gen_ai.usage.input_tokens", r.usage.prompt_tokens),
                integer("gen_ai.usage.output_tokens", r.usage.completion_tokens),
                integer("http.response.status_code", r.status),
                text("fulcrum.request_id", r.id),
                text("fulcrum.tier", r.tier),
                text("fulcrum.reason", r.reason),
                text("fulcrum.cost_usd", format_usd(r.cost)),
                integer("fulcrum.attempts", r.attempts),
                boolean("fulcrum.escalated", r.escalated),
                boolean("fulcrum.fell_back", r.fell_back),
                boolean("fulcrum.cache_hit", r.cache_hit),
                boolean("fulcrum.stream", r.stream),
                real("fulcrum.overhead_ms", r.overhead_ms)};
  if (!r.upstream_model.empty()) a.push_back(text("gen_ai.response.model", r.upstream_model));
  if (r.usage.cache_hit_tokens) a.push_back(integer("gen_ai.usage.cache_read_input_tokens", r.usage.cache_hit_tokens));
  if (!r.key.empty()) a.push_back(text("fulcrum.key", r.key));
  json::object span{{"traceId", r.trace.trace_id},
                    {"spanId", r.trace.span_id},
                    {"name", "chat " + r.model_requested},
                    {"kind", kSpanServer},
                    {"startTimeUnixNano", std::to_string(start_ns)},
                    {"endTimeUnixNano", std::to_string(end_ns)},
                    {"attributes", std::move(a)}};
  if (!r.trace.parent_span_id.empty()) span["parentSpanId"] = r.trace.parent_span_id;
  if (r.status >= 400 || r.status == 0) span["status"] = {{"code", kStatusError}, {"message", r.error}};
  else span["status"] = {{"code", kStatusOk}};
  return span;
}

json::object attempt_span(const RequestRecord& r, const UpstreamAttempt& u) {
  json::array a{text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", u.model),
                text("gen_ai.provider.name", u.provider), text("fulcrum.tier", u.tier)};
  if (u.status) a.push_back(integer("http.response.status_code", u.status));
  if (!u.error.empty()) a.push_back(text("error.type", u.status ? std::to_string(u.status) : "upstream_failure"));
  json::object span{{"traceId", r.trace.trace_id},
                    {"spanId", u.span_id},
                    {"parentSpanId", r.trace.span_id},
                    {"name", "chat " + u.model},
                    {"kind", kSpanClient},
                    {"startTimeUnixNano", std::to_string(u.start_unix_ns)},
                    {"endTimeUnixNano", std::to_string(u.end_unix_ns)},
                    {"attributes", std::move(a)}};
  if (u.error.empty()) span["status"] = {{"code", kStatusOk}};
  else span["status"] = {{"code", kStatusError}, {"message", u.error}};
  return span;
}

}  // namespace

std::string OtlpExporter::encode(const std::deque<RequestRecord>& requests, const std::string& service_name) {
  json::array spans;
  for (const auto& r : requests) {
    spans.push_back(request_span(r));
    for (const auto& u : r.upstream_attempts) spans.push_back(attempt_span(r, u));
  }
  json::object resource{{"attributes", json::array{text("service.name", service_name)}}};
  json::object scope_spans{{"scope", {{"name", "fulcrum"}}}, {"spans", std::move(spans)}};
  json::object body{{"resourceSpans", json::array{json::object{{"resource", std::move(resource)},
                                                               {"scopeSpans", json::array{std::move(scope_spans)}}}}}};
  return json::serialize(body);
}

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::create(const TracesConfig& config) {
  auto url = parse_base_url(config.otlp_endpoint);
  if (!url) return std::move(url).error();
  return std::unique_ptr<OtlpExporter>(new OtlpExporter(config, std::move(url.value())));
}

OtlpExporter::OtlpExporter(TracesConfig config, BaseUrl endpoint)
    : config_(std::move(config)), endpoint_(std::move(endpoint)) {
  if (endpoint_.path_prefix.empty()) endpoint_.path_prefix = "/v1/traces";  // OTLP/HTTP's default path
  thread_ = std::thread([this] { loop(); });
}

OtlpExporter::~OtlpExporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void OtlpExporter::on_request_done(const RequestRecord& record) {
  if (!record.trace.traced() || !record.trace.sampled) return;
  const auto spans = 1 + record.upstream_attempts.size();
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= config_.queue) {
      dropped_.fetch_add(spans, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(record);
    queue_.back().prompt.clear();  // never in a span
    ++queued_;
  }
  wake_.notify_one();
}

void OtlpExporter::flush() {
  std::unique_lock lock(mutex_);
  const auto target = queued_;
  urgent_ = true;
  wake_.notify_one();
  done_.wait(lock, [&] { return finished_ >= target; });
}

void OtlpExporter::loop() {
  for (;;) {
    std::deque<RequestRecord> batch;
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Spans gather for the flush interval (one export a second, not one a request) unless the
      // batch is full, a flush() waits, or the process stops.
      const auto go = [&] { return stopping_ || urgent_ || queue_.size() >= kBatch; };
      if (!go()) wake_.wait_for(lock, config_.flush, go);
      const auto n = std::min(queue_.size(), kBatch);
      batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      if (queue_.empty()) urgent_ = false;
      stop = stopping_ && queue_.empty();
    }
    if (!batch.empty()) {
      std::uint64_t spans = 0;
      for (const auto& r : batch) spans += 1 + r.upstream_attempts.size();
      if (auto st = post(encode(batch, config_.service_name)); st) {
        exported_.fetch_add(spans, std::memory_order_relaxed);
      } else {
        if (export_errors_.fetch_add(1, std::memory_order_relaxed) % 100 == 0)
          spdlog::warn("traces: {} ({} spans dropped)", st.error().message, spans);
        dropped_.fetch_add(spans, std::memory_order_relaxed);
      }
      {
        std::lock_guard lock(mutex_);
        finished_ += batch.size();
      }
      done_.notify_all();
    }
    if (stop) return;
  }
}

Status OtlpExporter::post(const std::string& body) {
  const auto fail = [&](const std::string& why) {
    return make_error(Errc::unavailable, "OTLP export to " + config_.otlp_endpoint + ": " + why);
  };
  net::io_context io;
  beast::tcp_stream stream(io);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(endpoint_.host, endpoint_.port, ec);
  if (ec) return fail(ec.message());
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(endpoints, ec);
  if (ec) return fail(ec.message());
  http::request<http::string_body> req(http::verb::post, endpoint_.path_prefix, 11);
  req.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "fulcrum");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return fail(ec.message());
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return fail(ec.message());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  if (res.result_int() < 200 || res.result_int() >= 300)
    return fail("the collector answered HTTP " + std::to_string(res.result_int()));
  return Ok{};
}

}  // namespace fulcrum
