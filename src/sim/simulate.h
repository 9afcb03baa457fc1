#pragma once
// Costs, quality and latency of a routing strategy replayed over a workload.
// A strategy is just where each request goes (a Route per row); the numbers
// all come from evaluate_routes, so every strategy is measured the same way.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/router_config.h"
#include "sim/workload.h"

namespace fulcrum {

struct Route {
  std::size_t tier = 0;                     // called first
  std::optional<std::size_t> escalated_to;  // cascade: called after `tier`'s first tokens; it answers
  int wait_tokens = 0;                      // cascade: tokens of `tier` read before escalating
};

struct StrategyResult {
  std::string name;
  std::string kind;  // tier | policy | threshold | split | cascade | oracle
  double cost_per_request_usd = 0;
  std::optional<double> quality;       // mean score; nullopt when a tier without outcomes answered
  std::vector<double> share;           // per tier: share of the answers
  double escalation_rate = 0;          // share of requests that called two tiers
  std::optional<double> p95_ttft_ms;   // time to first token the client sees; nullopt: no latency profile
  std::optional<double> p95_latency_ms;  // until the last token
  std::optional<double> threshold;     // threshold strategies: the score cut
};

// Latencies are drawn per (row, tier) from the tier's profile with a fixed
// seed, so two strategies that send a request to the same tier see the same
// draw, and runs are reproducible.
StrategyResult evaluate_routes(const Workload& w, std::string name, std::string kind, const std::vector<Route>& routes,
                               std::uint64_t seed = 1);

std::vector<Route> routes_all(const Workload& w, std::size_t tier);
// `strong_percent` of the requests to the strong tier, each row placed by its
// id exactly as the gateway's split policy places a request id.
std::vector<Route> routes_split(const Workload& w, double strong_percent);
// score >= threshold -> `high` tier, else `low` (by default the pair's
// strong and weak tiers).
std::vector<Route> routes_threshold(const Workload& w, const std::vector<double>& scores, double threshold);
std::vector<Route> routes_threshold(const Workload& w, const std::vector<double>& scores, double threshold,
                                    std::size_t low, std::size_t high);
// The cheap tier first; escalate when its logprobs say it is unsure.
std::vector<Route> routes_cascade(const Workload& w, const CascadePlan& plan);
// Per row, the cheapest tier with the best score (the ceiling no router beats).
std::vector<Route> routes_oracle(const Workload& w);

// Share of rows whose weak tier's logprobs are present (the cascade needs them).
double logprob_coverage(const Workload& w, std::size_t tier);

}  // namespace fulcrum
