#pragma once
// Replays the configured router (its policies, rules, budgets and cascade)
// over a workload, as the gateway would route each row sent as a one-message
// chat request with the row's metadata. When the config has a learned model,
// each row is routed with the model of its held-out fold instead, so the
// replay never scores a row with a model trained on it.
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "learn/outcome_model.h"
#include "sim/simulate.h"

namespace fulcrum {

struct PolicyReplay {
  std::vector<Route> routes;
  std::vector<std::pair<std::string, std::size_t>> reasons;  // most frequent first
};

// `fold_models` (may be empty: use router.model as configured) and `fold`
// (per row) come from cross_validate.
Result<PolicyReplay> replay_policy(const Workload& w, const ConfigPtr& config,
                                   const std::vector<OutcomeModel>& fold_models, const std::vector<int>& fold);

}  // namespace fulcrum
