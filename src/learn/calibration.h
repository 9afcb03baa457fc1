#pragma once
// How far a model's probabilities can be taken at their word: expected-cost
// routing multiplies P(fail) by dollars, so a P that says 0.3 must come true
// about 30% of the time. Brier score and expected calibration error (ECE,
// 10 equal-width bins, weighted by their share of the rows) against graded
// outcomes in [0, 1], with the bins for a reliability diagram.
#include <vector>

namespace fulcrum {

struct ReliabilityBin {
  double lower = 0, upper = 0;  // the bin's range of predicted probability
  double mean_predicted = 0;    // over the rows in it
  double mean_observed = 0;
  int rows = 0;
};

struct Calibration {
  double brier = 0;  // mean (p - outcome)^2
  double ece = 0;    // sum over bins of share x |mean predicted - mean observed|
  std::vector<ReliabilityBin> bins;
};

Calibration calibration(const std::vector<double>& predicted, const std::vector<double>& observed, int bins = 10);

}  // namespace fulcrum
