#pragma once
// The article's "when to upgrade" decision matrix applied to measured facts
// about a workload:
//   simple queries                        -> stay on the cheap tier until its error rate > 5%
//   occasional complex queries (< 5%)     -> smart route with ~10% strong fallback
//   mixed workload (20-40% complex)       -> hybrid with dynamic (learned) thresholds
//   predominantly complex reasoning       -> all strong, cache aggressively
//   latency-critical (< 200 ms)           -> cheap tier only, accept the quality trade-off
// The matrix leaves 5-20% and 40-50% open; they go to the nearer row, and the
// reasons say so. A daily budget the choice breaks moves it to the learned
// threshold that fits.
#include <optional>
#include <string>
#include <vector>

namespace fulcrum {

struct RecommendInput {
  std::string cheap, strong;              // tier names
  double complex_share = 0;               // share the learned model predicts the strong tier answers better
  std::optional<double> measured_complex_share;  // the same counted in the labels
  std::optional<double> cheap_error_rate;   // measured in the data
  std::optional<double> strong_error_rate;
  std::optional<double> latency_budget_ms;  // the application's need for time to first token
  std::optional<double> cheap_p95_ttft_ms;  // from the tiers' latency profiles
  std::optional<double> strong_p95_ttft_ms;
  std::optional<double> daily_budget_usd;
  std::optional<double> all_strong_daily_usd;
};

struct Recommendation {
  enum class Kind { cheap_only, smart_route, hybrid_threshold, all_strong, latency_cheap_only } kind = Kind::cheap_only;
  std::string situation;       // the matrix row
  std::string recommendation;  // what to do
  double strong_share = 0;     // share of strong calls the recommended strategy aims for
  std::vector<std::string> reasons;
};

Recommendation recommend(const RecommendInput& in);

}  // namespace fulcrum
