#pragma once
// Prometheus metrics for the gateway, updated lock-free from every worker
// thread (relaxed atomics; the set of tiers is fixed by the config) and
// rendered in the text exposition format on GET /metrics.
//
//   fulcrum_requests_total{tier,code}              counter
//   fulcrum_escalations_total{tier}                counter: cascade answers the cheap tier lost
//   fulcrum_error_fallbacks_total{tier}            counter: requests a fallback tier took after theirs failed
//   fulcrum_cost_usd_total{tier}                   counter
//   fulcrum_tokens_total{tier,kind}                counter: prompt_cache_hit, prompt_cache_miss, completion, reasoning
//   fulcrum_time_to_first_token_seconds{tier}      histogram
//   fulcrum_request_duration_seconds{tier}         histogram
//   fulcrum_gateway_overhead_seconds               histogram: time in fulcrum, upstream waits excluded
//   fulcrum_feedback_total{tier}                   counter
//   fulcrum_feedback_errors_total{tier}            counter: sum of (1 - score)
//   fulcrum_error_rate{tier}                       gauge: feedback errors / feedback
//   fulcrum_escalation_ratio                       gauge: escalations / routed requests
//   fulcrum_error_fallback_ratio                   gauge: error fallbacks / routed requests
//   fulcrum_cost_per_successful_request_usd        gauge: cost / (2xx answers - reported failures)
// Tier "none" holds requests rejected before a tier was chosen (and tiers
// beyond the 64th).
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "accounting/request_record.h"

namespace fulcrum {

class Metrics final : public RequestObserver, public MetricsSink {
 public:
  explicit Metrics(const Config& config);
  void on_request_done(const RequestRecord& record) override;
  void on_feedback(const FeedbackRecord& feedback) override;
  std::string prometheus_text() const override;

  // Extra values read at scrape time (ledger queue depth, drops, ...).
  void add_gauge(std::string name, std::string help, std::function<double()> read);
  void add_counter(std::string name, std::string help, std::function<double()> read);  // name ends in _total

  // The dashboard's numbers.
  struct TierTotals {
    std::string tier;
    std::uint64_t requests = 0, succeeded = 0, escalated = 0, fell_back = 0, feedback = 0;
    double cost_usd = 0, feedback_errors = 0;
  };
  std::vector<TierTotals> totals() const;

 private:
  static constexpr std::array<int, 14> kCodes{200, 400, 401, 403, 404, 405, 413, 429, 499, 500, 502, 503, 504, 0};
  static constexpr std::array<double, 14> kLatencyBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                          1, 2.5, 5, 10, 30, 60, 120};
  static constexpr std::array<double, 10> kOverheadBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                           0.005, 0.01, 0.025, 0.05, 0.1};
  template <std::size_t N>
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, N + 1> counts{};  // the last is +Inf
    std::atomic<std::int64_t> sum_ns{0};
    void observe(double seconds, const std::array<double, N>& bounds);
  };
  struct PerTier {
    std::array<std::atomic<std::uint64_t>, kCodes.size()> by_code{};
    std::atomic<std::uint64_t> escalations{0};
    std::atomic<std::uint64_t> error_fallbacks{0};
    std::atomic<std::int64_t> cost_pico{0};
    std::array<std::atomic<std::int64_t>, 4> tokens{};
    std::atomic<std::uint64_t> feedback{0};
    std::atomic<std::int64_t> feedback_errors_micro{0};  // sum of (1 - score) x 1e6
    Histogram<kLatencyBuckets.size()> ttft;
    Histogram<kLatencyBuckets.size()> duration;
  };
  PerTier& tier(std::string_view name);

  // Tiers get a slot the first time they are seen (a config reload may add
  // some); slot 0 is "none". Names are written before `count_` publishes them.
  static constexpr std::size_t kMaxTiers = 64;
  std::array<std::string, kMaxTiers> names_;
  std::atomic<std::size_t> count_{0};
  std::mutex add_mutex_;
  std::unique_ptr<PerTier[]> tiers_;
  Histogram<kOverheadBuckets.size()> overhead_;
  struct Gauge {
    std::string name, help, type;
    std::function<double()> read;
  };
  std::vector<Gauge> gauges_;
};

}  // namespace fulcrum
