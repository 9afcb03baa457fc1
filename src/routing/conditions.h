#pragma once
// Evaluates `when:` conditions (rules, and the optional `when:` of any policy)
// against request features. A condition on a feature the request does not
// have (no learned model, nothing declared) does not hold.
#include <string>
#include <vector>

#include "config/router_config.h"
#include "routing/features.h"

namespace fulcrum {

// True when every condition holds; appends "feature value op operand" for
// each to `why`, joined by " and ".
bool all_hold(const std::vector<Condition>& conditions, const RequestFeatures& f, std::string& why);

}  // namespace fulcrum
