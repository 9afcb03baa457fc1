#include "learn/routellm_metrics.h"

#include <algorithm>
#include <cmath>

namespace fulcrum {

double quantile_sorted(const std::vector<double>& s, double q) {
  if (s.empty()) return 0;
  const double pos = q * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, s.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return s[lo] + (s[hi] - s[lo]) * frac;
}

double np_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp) {
  const std::size_t n = xp.size();
  if (n == 0) return 0;
  if (x <= xp.front()) return fp.front();  // numpy: x < xp[0] -> fp[0]; equal gives fp[0] too
  if (x >= xp.back()) return fp.back();
  // Last j with xp[j] <= x (binary search, as numpy's does on sorted input).
  std::size_t lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const std::size_t mid = (lo + hi) / 2;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  const double dx = xp[lo + 1] - xp[lo];
  if (dx == 0) return fp[lo];
  return fp[lo] + (x - xp[lo]) * (fp[lo + 1] - fp[lo]) / dx;
}

namespace {
double trapz(const std::vector<double>& y, const std::vector<double>& x) {
  double area = 0;
  for (std::size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area;
}
}  // namespace

RouterMetrics routellm_metrics(const std::vector<double>& scores, const std::vector<double>& weak,
                               const std::vector<double>& strong, int bins) {
  RouterMetrics m;
  const std::size_t n = scores.size();
  if (n == 0) return m;
  double weak_sum = 0, strong_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    weak_sum += weak[i];
    strong_sum += strong[i];
  }
  m.weak_quality = weak_sum / static_cast<double>(n) * 100;
  m.strong_quality = strong_sum / static_cast<double>(n) * 100;

  std::vector<double> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i <= bins; ++i) {
    const double t = quantile_sorted(sorted, static_cast<double>(i) / bins);
    double total = 0;
    std::size_t strong_calls = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const bool to_strong = i != bins ? scores[k] >= t : scores[k] > t;
      total += to_strong ? strong[k] : weak[k];
      strong_calls += to_strong;
    }
    m.curve.push_back({t, static_cast<double>(strong_calls) / static_cast<double>(n) * 100,
                       total / static_cast<double>(n) * 100});
  }
  std::stable_sort(m.curve.begin(), m.curve.end(),
                   [](const CurvePoint& a, const CurvePoint& b) { return a.strong_percent < b.strong_percent; });

  std::vector<double> x, y;
  for (const auto& p : m.curve) {
    x.push_back(p.strong_percent / 100);
    y.push_back(p.quality);
  }
  const double auc = trapz(y, x);
  const double span = x.back() - x.front();
  const double weak_auc = m.weak_quality * span;
  const double strong_auc = m.strong_quality * span;
  m.apgr = strong_auc == weak_auc ? 0 : (auc - weak_auc) / (strong_auc - weak_auc);

  std::vector<double> pct;
  for (const auto& p : m.curve) pct.push_back(p.strong_percent);
  auto cpt = [&](double f) { return np_interp(f * (m.strong_quality - m.weak_quality) + m.weak_quality, y, pct); };
  m.cpt20 = cpt(0.2);
  m.cpt50 = cpt(0.5);
  m.cpt80 = cpt(0.8);
  return m;
}

}  // namespace fulcrum
