#include "sim/calibrate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/printf.h>

namespace fulcrum {

Result<CalibratedThreshold> calibrate_threshold(const Workload& w, const std::vector<double>& values, std::size_t low,
                                        std::size_t high, const CalibrationTarget& target) {
  const std::size_t n = w.rows.size();
  for (auto t : {low, high})
    if (!w.tiers[t].model.size())
      return make_error(Errc::invalid_request, "tier " + w.tiers[t].name +
                                                   " has no outcomes in the data: map it with --outcome " +
                                                   w.tiers[t].name + "=MODEL");
  // Rows by value, highest first: the top k go to `high`. Prefix sums give
  // quality and cost at every k in one pass.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return values[a] > values[b]; });
  double quality = 0, cost = 0;
  for (std::size_t i = 0; i < n; ++i) {
    quality += *w.rows[i].score[low];
    cost += w.cost_usd(i, low);
  }
  std::vector<double> q(n + 1), c(n + 1);
  q[0] = quality / static_cast<double>(n);
  c[0] = cost / static_cast<double>(n);
  for (std::size_t k = 1; k <= n; ++k) {
    const auto i = order[k - 1];
    quality += *w.rows[i].score[high] - *w.rows[i].score[low];
    cost += w.cost_usd(i, high) - w.cost_usd(i, low);
    q[k] = quality / static_cast<double>(n);
    c[k] = cost / static_cast<double>(n);
  }
  // A cut can only fall between two different values.
  auto valid = [&](std::size_t k) { return k == 0 || k == n || values[order[k - 1]] != values[order[k]]; };
  std::optional<std::size_t> pick;
  switch (target.kind) {
    case CalibrationTarget::Kind::strong_share: {
      const double want = target.value * static_cast<double>(n);
      for (std::size_t k = 0; k <= n; ++k)
        if (valid(k) && (!pick || std::abs(static_cast<double>(k) - want) < std::abs(static_cast<double>(*pick) - want)))
          pick = k;
      break;
    }
    case CalibrationTarget::Kind::quality_fraction: {
      const double want = target.value * q[n];
      for (std::size_t k = 0; k <= n && !pick; ++k)
        if (valid(k) && q[k] >= want - 1e-12) pick = k;
      if (!pick) {
        const double best = *std::max_element(q.begin(), q.end());
        return make_error(Errc::invalid_request, "no threshold reaches " + fmt::sprintf("%.1f", target.value * 100) +
                                                     "% of all-" + w.tiers[high].name + " quality; the best is " +
                                                     fmt::sprintf("%.1f", best / q[n] * 100) + "%");
      }
      break;
    }
    case CalibrationTarget::Kind::daily_budget: {
      for (std::size_t k = 0; k <= n; ++k)
        if (valid(k) && c[k] * target.requests_per_day <= target.value && (!pick || q[k] > q[*pick])) pick = k;
      if (!pick)
        return make_error(Errc::invalid_request, "the daily budget $" + fmt::sprintf("%.2f", target.value) +
                                                     " is below the cheapest cut: all-" + w.tiers[low].name + " costs $" +
                                                     fmt::sprintf("%.2f", c[0] * target.requests_per_day) + " a day");
      break;
    }
  }
  const auto k = *pick;
  CalibratedThreshold out;
  out.high_rows = k;
  if (k == 0) out.threshold = std::nextafter(values[order[0]], HUGE_VAL);
  else if (k == n) out.threshold = values[order[n - 1]];
  else out.threshold = (values[order[k - 1]] + values[order[k]]) / 2;
  return out;
}

}  // namespace fulcrum
