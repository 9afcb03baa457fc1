#pragma once
// The decision tools a team runs before it turns routing on: `fulcrum
// simulate` (what each strategy would cost and get right on a labeled
// workload), `calibrate` (the threshold that meets a target), `breakeven`
// (how many errors make the strong tier pay off) and `recommend` (the
// article's decision matrix applied to a workload).
#include <optional>
#include <string>
#include <vector>

#include "app/learn_commands.h"

namespace fulcrum {

// Options every workload command shares.
struct WorkloadCommand : LearnOptions {
  std::string config_path;
  std::vector<std::string> outcomes;  // TIER=MODEL
  std::string tokens;                 // IN:OUT
  bool tokens_override = false;
  double cache_hit_rate = 0;
  int folds = 5;
  double requests_per_day = 0;
};

struct SimulateCommand : WorkloadCommand {
  double split_strong_percent = 30;
  std::vector<double> operating_points{10, 20, 30, 40, 50};  // % strong calls
  std::string format = "table";  // table | markdown | json
  std::string svg_path;
};

struct CalibrateCommand : WorkloadCommand {
  std::optional<double> strong_share;      // fraction of requests on the strong tier
  std::optional<double> quality_fraction;  // of all-strong quality
  std::optional<double> daily_budget_usd;  // needs requests_per_day
  int policy = -1;                         // index into router.policies; -1: the first threshold policy
  int level = 0;                           // which of its levels
  bool write = false;                      // write the value into the config file
};

struct BreakevenCommand {
  std::string config_path;
  std::string cheap_tier, strong_tier;
  std::string tokens;  // IN:OUT, with the config's prices
  std::optional<double> cheap_cost_usd, strong_cost_usd;
  std::vector<double> error_costs_usd;
  double requests_per_day = 0;
  std::optional<double> cheap_error_rate, strong_error_rate;  // measured: say whether to upgrade
  std::string ledger_path;  // measured error rates (and costs) from the ledger's feedback
  std::string since = "30d";
};

struct RecommendCommand : WorkloadCommand {
  std::optional<double> latency_budget_ms;  // the application's need for time to first token
  std::optional<double> daily_budget_usd;
};

int run_simulate(const SimulateCommand& cmd);
int run_calibrate(const CalibrateCommand& cmd);
int run_breakeven(const BreakevenCommand& cmd);
int run_recommend(const RecommendCommand& cmd);

}  // namespace fulcrum
