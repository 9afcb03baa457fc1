#include "learn/calibration.h"

#include <algorithm>
#include <cmath>

namespace fulcrum {

Calibration calibration(const std::vector<double>& predicted, const std::vector<double>& observed, int bins) {
  Calibration c;
  const auto n = std::min(predicted.size(), observed.size());
  if (n == 0 || bins <= 0) return c;
  c.bins.resize(static_cast<std::size_t>(bins));
  for (int b = 0; b < bins; ++b) {
    c.bins[b].lower = static_cast<double>(b) / bins;
    c.bins[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double p = std::clamp(predicted[i], 0.0, 1.0);
    c.brier += (p - observed[i]) * (p - observed[i]);
    auto& bin = c.bins[std::min(bins - 1, static_cast<int>(p * bins))];
    bin.mean_predicted += p;
    bin.mean_observed += observed[i];
    ++bin.rows;
  }
  c.brier /= static_cast<double>(n);
  for (auto& bin : c.bins) {
    if (bin.rows == 0) continue;
    bin.mean_predicted /= bin.rows;
    bin.mean_observed /= bin.rows;
    c.ece += static_cast<double>(bin.rows) / static_cast<double>(n) * std::abs(bin.mean_predicted - bin.mean_observed);
  }
  return c;
}

}  // namespace fulcrum
