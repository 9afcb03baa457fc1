#pragma once
// The metrics RouteLLM's routellm/evals/evaluate.py reports, computed the same
// way: thresholds are the 11 edges of 10 equal-count bins of the router's
// scores (linear-interpolated quantiles, as pandas.qcut); at edge i the
// prompts with score >= edge go to the strong model (the last edge uses >);
// quality is the mean routed score in percent. APGR is the trapezoid area
// under quality vs strong-call fraction, normalised by the same areas of
// all-weak and all-strong; CPT(x) is numpy.interp of the quality that
// recovers x of the gap, over the curve sorted by strong-call share.
#include <vector>

namespace fulcrum {

struct CurvePoint {
  double threshold = 0;
  double strong_percent = 0;  // 0..100
  double quality = 0;         // mean score x 100
};

struct RouterMetrics {
  std::vector<CurvePoint> curve;  // sorted by strong_percent
  double weak_quality = 0;        // percent
  double strong_quality = 0;
  double apgr = 0;
  double cpt20 = 0, cpt50 = 0, cpt80 = 0;  // percent strong calls
};

// `scores[i]` is the router's score for prompt i (higher: more need for the
// strong model); `weak[i]`/`strong[i]` are each model's outcome on it.
RouterMetrics routellm_metrics(const std::vector<double>& scores, const std::vector<double>& weak,
                               const std::vector<double>& strong, int bins = 10);

// Linear-interpolated quantile of sorted values (numpy's default method).
double quantile_sorted(const std::vector<double>& sorted, double q);

// numpy.interp for increasing xp; outside the range it clamps to the ends.
double np_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp);

}  // namespace fulcrum
