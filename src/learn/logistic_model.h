#pragma once
// Binary logistic regression over hashed sparse features, trained with
// AdaGrad SGD and L2, plus Platt scaling (a, b) fitted on held-out data so
// that predict() returns calibrated probabilities. Immutable after training:
// predict() is const and thread-safe.
#include <cstdint>
#include <iosfwd>
#include <random>
#include <vector>

#include "core/result.h"
#include "learn/text_features.h"

namespace fulcrum {

struct TrainOptions {
  int epochs = 8;
  double learning_rate = 0.5;
  double l2 = 1e-6;
  std::uint64_t seed = 1;
};

class LogisticModel {
 public:
  explicit LogisticModel(int hash_bits = 20) : weights_(std::size_t{1} << hash_bits, 0.0f) {}

  // labels in [0, 1] (graded scores are used as soft labels).
  void train(const std::vector<std::vector<Feature>>& x, const std::vector<double>& y, const TrainOptions& options);
  // Fits Platt scaling on (raw margin, label) pairs of held-out rows.
  void calibrate(const std::vector<std::vector<Feature>>& x, const std::vector<double>& y);

  double margin(const std::vector<Feature>& x) const;
  double predict(const std::vector<Feature>& x) const;  // calibrated P(label = 1)

  std::size_t buckets() const { return weights_.size(); }
  const std::vector<float>& weights() const { return weights_; }
  double calibrated(double margin) const;  // Platt-scaled probability of a raw margin
  // Adds `other`'s weights scaled by `factor` (bagging: average several models
  // into one, so inference costs the same as a single model).
  void add_scaled(const LogisticModel& other, float factor);
  void save(std::ostream& out) const;
  static Result<LogisticModel> load(std::istream& in);

 private:
  std::vector<float> weights_;
  double platt_a_ = 1.0, platt_b_ = 0.0;
};

}  // namespace fulcrum
