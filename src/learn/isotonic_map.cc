#include "learn/isotonic_map.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <numeric>
#include <ostream>
#include <sstream>

namespace fulcrum {

IsotonicMap IsotonicMap::fit(const std::vector<double>& predicted, const std::vector<double>& observed) {
  IsotonicMap map;
  const auto n = std::min(predicted.size(), observed.size());
  if (n < kMinRows) return map;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return predicted[a] < predicted[b]; });
  // Pool adjacent violators: each block holds sums, merged while a block's
  // mean outcome is not above the one before it.
  struct Block {
    double sum_x = 0, sum_y = 0, rows = 0;
    double mean_y() const { return sum_y / rows; }
  };
  std::vector<Block> blocks;
  for (auto i : order) {
    blocks.push_back({predicted[i], std::clamp(observed[i], 0.0, 1.0), 1});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].mean_y() >= blocks.back().mean_y()) {
      const auto last = blocks.back();
      blocks.pop_back();
      blocks.back().sum_x += last.sum_x;
      blocks.back().sum_y += last.sum_y;
      blocks.back().rows += last.rows;
    }
  }
  // Each block's value is shrunk toward what the input said there by
  // kPriorRows pseudo-rows (a block of 3 rows is mostly noise; one of 300
  // barely moves), then kept non-decreasing.
  double last = 0;
  for (const auto& b : blocks) {
    const double x = b.sum_x / b.rows;
    const double y = std::max(last, (b.sum_y + kPriorRows * x) / (b.rows + kPriorRows));
    last = y;
    map.knots_.emplace_back(x, std::clamp(y, kFloor, 1 - kFloor));
  }
  return map;
}

double IsotonicMap::apply(double p) const {
  if (knots_.empty()) return p;
  if (p <= knots_.front().first) return knots_.front().second;
  if (p >= knots_.back().first) return knots_.back().second;
  const auto hi = std::upper_bound(knots_.begin(), knots_.end(), p,
                                   [](double v, const std::pair<double, double>& k) { return v < k.first; });
  const auto lo = hi - 1;
  const double span = hi->first - lo->first;
  if (span <= 0) return hi->second;
  return lo->second + (hi->second - lo->second) * (p - lo->first) / span;
}

void IsotonicMap::save(std::ostream& out) const {
  std::ostringstream line;
  line.precision(17);
  line << "isotonic " << knots_.size();
  for (const auto& [x, y] : knots_) line << ' ' << x << ' ' << y;
  out << line.str() << '\n';
}

Result<IsotonicMap> IsotonicMap::load(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return make_error(Errc::invalid_request, "missing the isotonic line");
  std::istringstream ls(line);
  std::string word;
  std::size_t n = 0;
  if (!(ls >> word >> n) || word != "isotonic" || n > 100000)
    return make_error(Errc::invalid_request, "bad isotonic line");
  IsotonicMap map;
  map.knots_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    double x = 0, y = 0;
    if (!(ls >> x >> y) || !std::isfinite(x) || !std::isfinite(y) || y < 0 || y > 1)
      return make_error(Errc::invalid_request, "bad isotonic line (knot " + std::to_string(i + 1) + ")");
    if (!map.knots_.empty() && (x < map.knots_.back().first || y < map.knots_.back().second))
      return make_error(Errc::invalid_request, "bad isotonic line (knots not in order)");
    map.knots_.emplace_back(x, y);
  }
  if (ls >> word) return make_error(Errc::invalid_request, "bad isotonic line (more knots than it says)");
  return map;
}

}  // namespace fulcrum
