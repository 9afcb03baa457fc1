// Thresholds on the learned score (or complexity): the highest level reached
// picks its tier; below every level, `below` answers. Without a learned model
// the policy passes.
#include "routing/policy.h"

namespace fulcrum {
namespace {

class ThresholdPolicy final : public Policy {
 public:
  ThresholdPolicy(const PolicyConfig& p, const Config& c)
      : on_complexity_(p.threshold_on_complexity), below_(p.below_tier), levels_(p.levels), config_(c) {}

  std::optional<PolicyDecision> decide(const RequestFeatures& f, const RouteContext&) const override {
    const auto v = on_complexity_ ? f.complexity : f.score;
    if (!v) return std::nullopt;
    const char* name = on_complexity_ ? "complexity " : "score ";
    for (auto it = levels_.rbegin(); it != levels_.rend(); ++it)
      if (*v >= it->first)
        return PolicyDecision{it->second, name + fmt(*v) + " >= " + fmt(it->first) + " -> " + config_.tiers[it->second].name, std::nullopt};
    return PolicyDecision{below_, name + fmt(*v) + " < " + fmt(levels_.front().first) + " -> " + config_.tiers[below_].name, std::nullopt};
  }

 private:
  bool on_complexity_;
  std::size_t below_;
  std::vector<std::pair<double, std::size_t>> levels_;
  const Config& config_;
};

}  // namespace

std::unique_ptr<Policy> make_threshold_policy(const PolicyConfig& p, const Config& c) {
  return std::make_unique<ThresholdPolicy>(p, c);
}

}  // namespace fulcrum
