#include "learn/logistic_model.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <numeric>
#include <ostream>

namespace fulcrum {
namespace {
inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
constexpr char kMagic[8] = {'F', 'L', 'C', 'R', 'L', 'R', 'Q', '8'};
}  // namespace

double LogisticModel::margin(const std::vector<Feature>& x) const {
  double z = 0;
  for (const auto& f : x) z += static_cast<double>(weights_[f.index]) * f.value;
  return z;
}

double LogisticModel::calibrated(double m) const { return sigmoid(platt_a_ * m + platt_b_); }

double LogisticModel::predict(const std::vector<Feature>& x) const { return calibrated(margin(x)); }

void LogisticModel::train(const std::vector<std::vector<Feature>>& x, const std::vector<double>& y,
                          const TrainOptions& o) {
  std::vector<float> g2(weights_.size(), 0.0f);
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (auto i : order) {
      const double grad = sigmoid(margin(x[i])) - y[i];
      for (const auto& f : x[i]) {
        auto& w = weights_[f.index];
        const double g = grad * f.value + o.l2 * w;
        g2[f.index] += static_cast<float>(g * g);
        w -= static_cast<float>(o.learning_rate * g / (std::sqrt(static_cast<double>(g2[f.index])) + 1e-8));
      }
    }
  }
}

void LogisticModel::calibrate(const std::vector<std::vector<Feature>>& x, const std::vector<double>& y) {
  // Platt scaling by Newton's method on the log loss of sigmoid(a*m + b).
  std::vector<double> m(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) m[i] = margin(x[i]);
  double a = 1.0, b = 0.0;
  for (int iter = 0; iter < 50; ++iter) {
    double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (std::size_t i = 0; i < m.size(); ++i) {
      const double p = sigmoid(a * m[i] + b);
      const double d = p - y[i];
      const double w = p * (1 - p);
      ga += d * m[i];
      gb += d;
      haa += w * m[i] * m[i];
      hab += w * m[i];
      hbb += w;
    }
    const double det = haa * hbb - hab * hab;
    if (std::abs(det) < 1e-12) break;
    const double da = (hbb * ga - hab * gb) / det;
    const double db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (std::abs(da) + std::abs(db) < 1e-9) break;
  }
  platt_a_ = a;
  platt_b_ = b;
}

void LogisticModel::add_scaled(const LogisticModel& other, float factor) {
  for (std::size_t i = 0; i < weights_.size() && i < other.weights_.size(); ++i) weights_[i] += factor * other.weights_[i];
}

void LogisticModel::save(std::ostream& out) const {
  // Dense int8 with one scale: 2^18 buckets take 256 KiB, small enough to ship
  // in the repository; ranking is unchanged to 3 decimals of APGR (RESULTS.md).
  out.write(kMagic, sizeof kMagic);
  const auto n = static_cast<std::uint64_t>(weights_.size());
  float max_abs = 0;
  for (float w : weights_) max_abs = std::max(max_abs, std::abs(w));
  const float scale = max_abs > 0 ? max_abs / 127.0f : 1.0f;
  out.write(reinterpret_cast<const char*>(&n), sizeof n);
  out.write(reinterpret_cast<const char*>(&platt_a_), sizeof platt_a_);
  out.write(reinterpret_cast<const char*>(&platt_b_), sizeof platt_b_);
  out.write(reinterpret_cast<const char*>(&scale), sizeof scale);
  std::vector<std::int8_t> q(weights_.size());
  for (std::size_t i = 0; i < weights_.size(); ++i)
    q[i] = static_cast<std::int8_t>(std::lround(std::clamp(weights_[i] / scale, -127.0f, 127.0f)));
  out.write(reinterpret_cast<const char*>(q.data()), static_cast<std::streamsize>(q.size()));
}

Result<LogisticModel> LogisticModel::load(std::istream& in) {
  char magic[8];
  std::uint64_t n = 0;
  float scale = 0;
  LogisticModel m(1);
  if (!in.read(magic, sizeof magic) || !std::equal(magic, magic + 8, kMagic))
    return make_error(Errc::invalid_request, "not a fulcrum logistic model (bad magic)");
  if (!in.read(reinterpret_cast<char*>(&n), sizeof n) || n == 0 || n > (std::uint64_t{1} << 26) || (n & (n - 1)))
    return make_error(Errc::invalid_request, "corrupt model: bad size");
  if (!in.read(reinterpret_cast<char*>(&m.platt_a_), sizeof m.platt_a_) ||
      !in.read(reinterpret_cast<char*>(&m.platt_b_), sizeof m.platt_b_) ||
      !in.read(reinterpret_cast<char*>(&scale), sizeof scale) || !std::isfinite(scale) ||
      !std::isfinite(m.platt_a_) || !std::isfinite(m.platt_b_))
    return make_error(Errc::invalid_request, "corrupt model: truncated header");
  std::vector<std::int8_t> q(n);
  if (!in.read(reinterpret_cast<char*>(q.data()), static_cast<std::streamsize>(n)))
    return make_error(Errc::invalid_request, "corrupt model: truncated weights");
  m.weights_.resize(n);
  for (std::size_t i = 0; i < n; ++i) m.weights_[i] = static_cast<float>(q[i]) * scale;
  return m;
}

}  // namespace fulcrum
