#include "sim/recommend.h"

#include <algorithm>
#include <cstdio>

namespace fulcrum {
namespace {

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", fraction * 100);
  return buf;
}

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", v);
  return buf;
}

}  // namespace

Recommendation recommend(const RecommendInput& in) {
  Recommendation r;
  const double c = in.complex_share;
  r.reasons.push_back("the learned model predicts " + in.strong + " answers " + pct(c) + " of the requests better than " +
                      in.cheap + " (held-out)" +
                      (in.measured_complex_share ? "; the labels say " + pct(*in.measured_complex_share) : std::string()));
  if (in.cheap_error_rate)
    r.reasons.push_back("measured error rates in the data: " + in.cheap + " " + pct(*in.cheap_error_rate) +
                        (in.strong_error_rate ? ", " + in.strong + " " + pct(*in.strong_error_rate) : std::string()));

  if (in.latency_budget_ms && in.strong_p95_ttft_ms && *in.strong_p95_ttft_ms > *in.latency_budget_ms) {
    r.kind = Recommendation::Kind::latency_cheap_only;
    r.situation = "latency-critical (< " + ms(*in.latency_budget_ms) + " to first token)";
    r.recommendation = in.cheap + " only, accept the quality trade-off";
    r.reasons.push_back(in.strong + "'s p95 time to first token is " + ms(*in.strong_p95_ttft_ms) + ", over the budget");
    if (in.cheap_p95_ttft_ms)
      r.reasons.push_back(*in.cheap_p95_ttft_ms <= *in.latency_budget_ms
                              ? in.cheap + "'s p95 is " + ms(*in.cheap_p95_ttft_ms) + ", within it"
                              : in.cheap + "'s p95 is " + ms(*in.cheap_p95_ttft_ms) +
                                    ": over the budget too, but the closest to it");
    return r;
  }
  if (in.latency_budget_ms && !in.strong_p95_ttft_ms)
    r.reasons.push_back("no latency profile for " + in.strong + " in the config: the latency budget was not checked");

  if (c < 0.05) {
    const bool simple = c < 0.01 && (!in.cheap_error_rate || *in.cheap_error_rate <= 0.05);
    if (simple) {
      r.kind = Recommendation::Kind::cheap_only;
      r.situation = "simple queries";
      r.recommendation = "stay on " + in.cheap + " until its error rate passes 5%";
    } else {
      r.kind = Recommendation::Kind::smart_route;
      r.situation = "occasional complex queries (< 5% of traffic)";
      r.recommendation = "smart route: " + in.cheap + " first, about 10% " + in.strong + " fallback";
      r.strong_share = 0.10;
      if (c < 0.01) r.reasons.push_back(in.cheap + "'s measured error rate is over 5%: more than simple queries");
    }
  } else if (c < 0.20) {
    r.kind = Recommendation::Kind::smart_route;
    r.situation = "between occasional (< 5%) and mixed (20-40%) complex queries";
    r.recommendation = "smart route: " + in.cheap + " first, " + in.strong + " for the predicted-complex " + pct(c);
    r.strong_share = c;
    r.reasons.push_back("the matrix has no row for 5-20%: the nearer rows both send only the hard requests to " + in.strong);
  } else if (c <= 0.50) {
    r.kind = Recommendation::Kind::hybrid_threshold;
    r.situation = c <= 0.40 ? "mixed workload (20-40% complex)" : "mixed workload, heavy side (40-50% complex)";
    r.recommendation = "hybrid with a learned threshold: " + in.strong + " for about " + pct(c) + " of the requests";
    r.strong_share = c;
  } else {
    r.kind = Recommendation::Kind::all_strong;
    r.situation = "predominantly complex reasoning";
    r.recommendation = "all " + in.strong + ", and cache aggressively";
    r.strong_share = 1.0;
  }
  if (in.daily_budget_usd && in.all_strong_daily_usd && r.kind == Recommendation::Kind::all_strong &&
      *in.all_strong_daily_usd > *in.daily_budget_usd) {
    r.kind = Recommendation::Kind::hybrid_threshold;
    r.recommendation = "a learned threshold within the budget (all " + in.strong + " would break it)";
    r.reasons.push_back("all " + in.strong + " costs " + std::to_string(static_cast<long long>(*in.all_strong_daily_usd)) +
                        " USD a day, over the budget of " + std::to_string(static_cast<long long>(*in.daily_budget_usd)));
  }
  return r;
}

}  // namespace fulcrum
