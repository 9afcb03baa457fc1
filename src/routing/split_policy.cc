// Weighted split (the article's hybrid 70/30): the request's hash picks a
// point in [0, 1); the same request id always lands on the same tier.
#include "core/stable_hash.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

class SplitPolicy final : public Policy {
 public:
  SplitPolicy(const PolicyConfig& p, const Config& c) : config_(c) {
    double total = 0;
    for (const auto& [tier, w] : p.weights) total += w;
    double acc = 0;
    for (const auto& [tier, w] : p.weights) {
      acc += w / total;
      cumulative_.emplace_back(acc, tier);
      if (!label_.empty()) label_ += '/';
      label_ += fmt(100 * w / total, 1);
    }
  }

  std::optional<PolicyDecision> decide(const RequestFeatures&, const RouteContext& ctx) const override {
    const double point = unit_interval(ctx.request_hash);
    for (const auto& [edge, tier] : cumulative_)
      if (point < edge) return PolicyDecision{tier, "split " + label_ + ": point " + fmt(point) + " -> " + config_.tiers[tier].name, std::nullopt};
    const auto tier = cumulative_.back().second;
    return PolicyDecision{tier, "split " + label_ + " -> " + config_.tiers[tier].name, std::nullopt};
  }

 private:
  std::vector<std::pair<double, std::size_t>> cumulative_;
  std::string label_;
  const Config& config_;
};

}  // namespace

std::unique_ptr<Policy> make_split_policy(const PolicyConfig& p, const Config& c) {
  return std::make_unique<SplitPolicy>(p, c);
}

}  // namespace fulcrum
