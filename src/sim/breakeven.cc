#include "sim/breakeven.h"

namespace fulcrum {

Breakeven breakeven(const BreakevenInput& in) {
  Breakeven b;
  b.cost_difference_usd = in.strong_cost_usd - in.cheap_cost_usd;
  b.requests_per_error = in.error_cost_usd / b.cost_difference_usd;
  b.error_rate_gap = b.cost_difference_usd / in.error_cost_usd;
  if (in.requests_per_day > 0) b.errors_per_day = in.requests_per_day * b.error_rate_gap;
  if (in.cheap_error_rate && in.strong_error_rate) {
    b.measured_gap = *in.cheap_error_rate - *in.strong_error_rate;
    b.error_cost_per_request_usd = *b.measured_gap * in.error_cost_usd;
    b.upgrade = *b.error_cost_per_request_usd > b.cost_difference_usd;
  }
  return b;
}

}  // namespace fulcrum
