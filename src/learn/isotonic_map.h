#pragma once
// A monotone correction of a probability, fitted by isotonic regression
// (pool-adjacent-violators) on held-out rows: Platt scaling fits one sigmoid,
// and where a model's errors are not sigmoid-shaped it stays off. On MMLU the
// weak tier's Platt-scaled P(good) said 0.27 where 41.5% came true and 0.55
// where 44% did (ECE 0.051); the map takes each predicted value to what came
// true around it. Between knots it interpolates linearly; outside them it
// keeps the end knots' values. Empty: the identity (too few rows to fit).
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace fulcrum {

class IsotonicMap {
 public:
  // Fewer held-out rows than this give the identity: with GSM8K's ~210
  // (5-fold, 20% of training held out) the map made the weak tier's ECE
  // 0.083 where Platt alone gave 0.028.
  static constexpr std::size_t kMinRows = 1000;
  // Pseudo-rows at the input's own value added to each block (see fit()).
  static constexpr double kPriorRows = 10;
  // Values are kept inside this margin of 0 and 1: a block whose rows all
  // failed says "rarely", not "never", and expected-cost routing multiplies it.
  static constexpr double kFloor = 0.01;

  // `predicted` and `observed` (outcomes in [0, 1]) per held-out row.
  static IsotonicMap fit(const std::vector<double>& predicted, const std::vector<double>& observed);

  double apply(double p) const;
  bool identity() const { return knots_.empty(); }
  std::size_t knots() const { return knots_.size(); }

  // One text line: "isotonic N x1 y1 ... xN yN".
  void save(std::ostream& out) const;
  static Result<IsotonicMap> load(std::istream& in);

 private:
  std::vector<std::pair<double, double>> knots_;  // (predicted, corrected); both non-decreasing
};

}  // namespace fulcrum
