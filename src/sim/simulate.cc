#include "sim/simulate.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/stable_hash.h"
#include "learn/routellm_metrics.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

// splitmix64: a step of its sequence, then its finalizer.
std::uint64_t mix(std::uint64_t x) { return mix64(x + 0x9e3779b97f4a7c15ULL); }

double unit(std::uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0; }  // (0, 1): log-safe

// Log-normal through the profile's median and 95th percentile.
double draw_ttft_ms(const LatencyProfile& p, std::size_t row, std::size_t tier, std::uint64_t seed) {
  const auto h = mix(seed ^ mix(row * 1315423911ULL + tier));
  const double z = std::sqrt(-2.0 * std::log(unit(h))) * std::cos(2.0 * std::numbers::pi * unit(mix(h)));
  const double sigma = (std::log(p.ttft_p95_ms) - std::log(p.ttft_p50_ms)) / 1.6448536269514722;
  return p.ttft_p50_ms * std::exp(sigma * z);
}

double p95(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, 0.95);
}

}  // namespace

StrategyResult evaluate_routes(const Workload& w, std::string name, std::string kind, const std::vector<Route>& routes,
                               std::uint64_t seed) {
  StrategyResult r;
  r.name = std::move(name);
  r.kind = std::move(kind);
  r.share.assign(w.tiers.size(), 0.0);
  const double n = static_cast<double>(w.rows.size());
  double cost = 0, score_sum = 0;
  bool quality_known = true, latency_known = true;
  std::size_t escalated = 0;
  std::vector<double> ttfts, totals;
  ttfts.reserve(w.rows.size());
  totals.reserve(w.rows.size());
  // A multi-turn conversation resends what came before: the tokens of the
  // previous turn's prompt and answer, and of its own prefix.
  std::vector<std::int64_t> prefix(w.rows.size(), 0);
  std::vector<std::size_t> answered(w.rows.size(), 0);
  for (std::size_t i = 0; i < w.rows.size(); ++i) answered[i] = routes[i].escalated_to.value_or(routes[i].tier);
  std::vector<std::size_t> by_turn(w.rows.size());  // a previous turn before the turns that resend it
  for (std::size_t i = 0; i < by_turn.size(); ++i) by_turn[i] = i;
  std::stable_sort(by_turn.begin(), by_turn.end(),
                   [&](std::size_t a, std::size_t b) { return w.rows[a].source->turn < w.rows[b].source->turn; });
  for (const auto i : by_turn)
    if (const auto& prev = w.rows[i].previous) {
      const auto& sizes = w.rows[*prev].tokens[answered[*prev]];
      prefix[i] = prefix[*prev] + sizes.input + sizes.output;
    }
  auto prefix_cost = [&](std::size_t row, std::size_t tier) {
    const auto& prev = w.rows[row].previous;
    if (!prev) return 0.0;
    const auto& t = w.tiers[tier];
    return static_cast<double>(prefix[row]) * (answered[*prev] == tier ? t.usd_per_input_hit : t.usd_per_input_miss);
  };
  for (std::size_t i = 0; i < w.rows.size(); ++i) {
    const auto& route = routes[i];
    const std::size_t answer = answered[i];
    cost += w.cost_usd(i, route.tier) + prefix_cost(i, route.tier);
    if (route.escalated_to) {
      cost += w.cost_usd(i, *route.escalated_to) + prefix_cost(i, *route.escalated_to);
      ++escalated;
    }
    r.share[answer] += 1.0;
    const auto& score = w.rows[i].score[answer];
    if (score) score_sum += *score;
    else quality_known = false;

    const auto& first = w.tiers[route.tier].latency;
    const auto& last = w.tiers[answer].latency;
    if (!first || !last) {
      latency_known = false;
      continue;
    }
    double ttft = draw_ttft_ms(*first, i, route.tier, seed);
    if (route.escalated_to)
      ttft += 1000.0 * route.wait_tokens / first->tokens_per_second + draw_ttft_ms(*last, i, answer, seed);
    ttfts.push_back(ttft);
    totals.push_back(ttft + 1000.0 * static_cast<double>(w.rows[i].tokens[answer].output) / last->tokens_per_second);
  }
  r.cost_per_request_usd = cost / n;
  for (auto& s : r.share) s /= n;
  r.escalation_rate = static_cast<double>(escalated) / n;
  if (quality_known) r.quality = score_sum / n;
  if (latency_known) {
    r.p95_ttft_ms = p95(ttfts);
    r.p95_latency_ms = p95(totals);
  }
  return r;
}

std::vector<Route> routes_all(const Workload& w, std::size_t tier) {
  return std::vector<Route>(w.rows.size(), Route{tier, std::nullopt, 0});
}

std::vector<Route> routes_split(const Workload& w, double strong_percent) {
  std::vector<Route> out;
  out.reserve(w.rows.size());
  for (const auto& row : w.rows) {
    // As the gateway's split policy with weights {weak, strong}: the request
    // id's point lands in the weak tier's [0, weak share) or the strong tier's rest.
    const bool strong = unit_interval(stable_hash(row.source->id)) >= (100.0 - strong_percent) / 100.0;
    out.push_back(Route{strong ? w.strong_tier : w.weak_tier, std::nullopt, 0});
  }
  return out;
}

std::vector<Route> routes_threshold(const Workload& w, const std::vector<double>& scores, double threshold) {
  return routes_threshold(w, scores, threshold, w.weak_tier, w.strong_tier);
}

std::vector<Route> routes_threshold(const Workload& w, const std::vector<double>& scores, double threshold,
                                    std::size_t low, std::size_t high) {
  std::vector<Route> out;
  out.reserve(w.rows.size());
  for (std::size_t i = 0; i < w.rows.size(); ++i) out.push_back(Route{scores[i] >= threshold ? high : low, std::nullopt, 0});
  return out;
}

std::vector<Route> routes_cascade(const Workload& w, const CascadePlan& plan) {
  std::vector<Route> out;
  out.reserve(w.rows.size());
  static const std::vector<double> none;
  for (const auto& row : w.rows) {
    const auto* lp = row.logprobs[plan.cheap];
    const auto signal = cascade_confidence(plan, lp ? *lp : none);
    const bool escalate = signal ? *signal < plan.threshold : plan.escalate_on_missing;
    out.push_back(Route{plan.cheap, escalate ? std::optional<std::size_t>(plan.strong) : std::nullopt, plan.tokens});
  }
  return out;
}

std::vector<Route> routes_oracle(const Workload& w) {
  std::vector<Route> out;
  out.reserve(w.rows.size());
  for (std::size_t i = 0; i < w.rows.size(); ++i) {
    std::size_t best = w.weak_tier;
    for (std::size_t t = 0; t < w.tiers.size(); ++t) {
      const auto& s = w.rows[i].score[t];
      if (!s) continue;
      const auto& b = w.rows[i].score[best];
      if (*s > *b || (*s == *b && w.cost_usd(i, t) < w.cost_usd(i, best))) best = t;
    }
    out.push_back(Route{best, std::nullopt, 0});
  }
  return out;
}

double logprob_coverage(const Workload& w, std::size_t tier) {
  std::size_t with = 0;
  for (const auto& row : w.rows) with += row.logprobs[tier] != nullptr && !row.logprobs[tier]->empty();
  return static_cast<double>(with) / static_cast<double>(w.rows.size());
}

}  // namespace fulcrum
