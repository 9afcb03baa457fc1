#pragma once
// OpenTelemetry traces over OTLP/HTTP (JSON): for each sampled request, a
// SERVER span (GenAI semantic conventions: gen_ai.operation.name,
// gen_ai.request.model, gen_ai.response.model, gen_ai.usage.input_tokens /
// output_tokens; plus fulcrum.tier, fulcrum.reason, fulcrum.cost_usd, ...)
// and a CLIENT span per upstream attempt, its child. Spans are queued by the
// request's worker (a bounded queue: full drops and counts, never blocks) and
// a background thread posts them in batches every `flush` to the collector.
// Traces are best effort: a failed export is logged, counted and dropped.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "config/url.h"
#include "core/result.h"
#include "accounting/request_record.h"

namespace fulcrum {

class OtlpExporter final : public RequestObserver {
 public:
  static Result<std::unique_ptr<OtlpExporter>> create(const TracesConfig& config);
  ~OtlpExporter() override;  // exports what is queued (one last try)
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void on_request_done(const RequestRecord& record) override;
  // Blocks until everything queued before the call was exported (or given up).
  void flush();

  std::uint64_t exported() const { return exported_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t export_errors() const { return export_errors_.load(std::memory_order_relaxed); }

  // The OTLP JSON body for these requests' spans (public for tests).
  static std::string encode(const std::deque<RequestRecord>& requests, const std::string& service_name);

 private:
  OtlpExporter(TracesConfig config, BaseUrl endpoint);
  void loop();
  Status post(const std::string& body);

  TracesConfig config_;
  BaseUrl endpoint_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<RequestRecord> queue_;
  std::uint64_t queued_ = 0, finished_ = 0;  // requests taken in / exported or given up
  bool stopping_ = false;
  bool urgent_ = false;  // a flush() waits: export without gathering
  std::atomic<std::uint64_t> exported_{0}, dropped_{0}, export_errors_{0};  // spans
  std::thread thread_;
};

}  // namespace fulcrum
