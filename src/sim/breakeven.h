#pragma once
// The article's upgrade rule: the strong tier pays off when
//   (cheap error rate - strong error rate) x error cost > cost difference per request.
// Said the other way round: it pays off when the cheap tier makes one more
// wrong answer than the strong tier at least once every
//   error cost / cost difference
// requests. With the article's figures ($0.00028 vs $0.00500 per request,
// $10 per error) that is once every 2,119 requests.
#include <optional>

namespace fulcrum {

struct BreakevenInput {
  double cheap_cost_usd = 0;   // per request
  double strong_cost_usd = 0;  // per request
  double error_cost_usd = 0;   // per wrong answer
  double requests_per_day = 0;               // 0: not known
  std::optional<double> cheap_error_rate;    // measured, when known
  std::optional<double> strong_error_rate;
};

struct Breakeven {
  double cost_difference_usd = 0;   // strong - cheap, per request
  double requests_per_error = 0;    // the strong tier pays off above one extra cheap error per this many requests
  double error_rate_gap = 0;        // the same as a rate: cost difference / error cost
  std::optional<double> errors_per_day;  // the same at requests_per_day
  // With measured error rates: the gap measured, what the errors cost per
  // request against what the strong tier costs more, and the verdict.
  std::optional<double> measured_gap;
  std::optional<double> error_cost_per_request_usd;
  std::optional<bool> upgrade;
};

// Requires strong cost > cheap cost and error cost > 0 (the CLI checks).
Breakeven breakeven(const BreakevenInput& in);

}  // namespace fulcrum
