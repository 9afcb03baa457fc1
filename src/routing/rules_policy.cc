// Rules: the first rule whose conditions all hold picks its tier. A condition
// on a feature the request does not have (no learned model, nothing declared)
// does not hold.
#include "routing/conditions.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

class RulesPolicy final : public Policy {
 public:
  RulesPolicy(const PolicyConfig& p, const Config& c) : rules_(p.rules), config_(c) {}

  std::optional<PolicyDecision> decide(const RequestFeatures& f, const RouteContext&) const override {
    for (const auto& rule : rules_) {
      std::string why = "rule " + rule.name + ": ";
      bool all = true;
      all = all_hold(rule.when, f, why);
      if (all) return PolicyDecision{rule.tier, why + " -> " + config_.tiers[rule.tier].name, std::nullopt};
    }
    return std::nullopt;
  }

 private:
  std::vector<Rule> rules_;
  const Config& config_;
};

}  // namespace

std::unique_ptr<Policy> make_rules_policy(const PolicyConfig& p, const Config& c) {
  return std::make_unique<RulesPolicy>(p, c);
}

}  // namespace fulcrum
