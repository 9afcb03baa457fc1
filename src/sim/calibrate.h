#pragma once
// Picks a learned-router threshold that meets a target on held-out scores:
// a share of requests on the strong tier, a quality as a fraction of sending
// everything to it, or a daily budget. Rows with value >= threshold go to
// `high`, the rest to `low`.
#include <cstddef>
#include <vector>

#include "core/result.h"
#include "sim/workload.h"

namespace fulcrum {

struct CalibrationTarget {
  enum class Kind { strong_share, quality_fraction, daily_budget } kind = Kind::strong_share;
  double value = 0;             // a fraction (share, quality) or USD per day
  double requests_per_day = 0;  // daily_budget only
};

struct CalibratedThreshold {
  double threshold = 0;
  std::size_t high_rows = 0;  // rows at or above it
};

// The share target takes the cut nearest the share; the quality target the
// fewest strong calls that reach it; the budget target the best quality
// within it. Fails when the target cannot be met on this workload (naming
// the best that can), or when `low`/`high` have no outcomes in the data.
Result<CalibratedThreshold> calibrate_threshold(const Workload& w, const std::vector<double>& values, std::size_t low,
                                        std::size_t high, const CalibrationTarget& target);

}  // namespace fulcrum
