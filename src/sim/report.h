#pragma once
// `fulcrum simulate`'s output: the article's cost table (strategy / daily
// cost / quality / tier mix / p95 latency / savings) as a terminal table,
// Markdown or JSON, and the cost-vs-quality chart.
#include <string>
#include <utility>
#include <vector>

#include "report/svg_chart.h"
#include "sim/simulate.h"

namespace fulcrum {

struct SimulationReport {
  std::string data_source;
  std::size_t rows = 0;
  double requests_per_day = 0;
  int folds = 0;
  std::vector<std::string> tier_names;
  std::vector<std::string> tier_models;  // per tier, "" when none
  std::size_t strong_tier = 0;           // savings are against all requests on it
  std::vector<std::string> notes;
  std::vector<StrategyResult> strategies;
  std::vector<StrategyResult> router_curve;  // the learned threshold from 0% to 100% strong calls
  std::vector<std::pair<std::string, std::size_t>> policy_reasons;  // the configured policy's decisions, by reason
};

// Savings of `s` against sending everything to the strong tier; nullopt when
// that strategy is missing or costs nothing.
std::optional<double> savings_vs_strong(const SimulationReport& r, const StrategyResult& s);

std::string format_table(const SimulationReport& r, bool markdown);
std::string format_json(const SimulationReport& r);
// Daily cost (x) against quality (y): every strategy, the router's curve, the
// Pareto frontier of all of them and the oracle as the ceiling.
Chart cost_quality_chart(const SimulationReport& r);

}  // namespace fulcrum
