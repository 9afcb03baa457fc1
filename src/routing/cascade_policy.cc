// Confidence cascade (the article's smart_route): always decides the cheap
// tier, with the plan the proxy follows: request logprobs, read the signal,
// escalate to the strong tier below the threshold.
#include "routing/policy.h"

namespace fulcrum {
namespace {

class CascadePolicy final : public Policy {
 public:
  CascadePolicy(const PolicyConfig& p, const Config& c) : plan_(p.cascade) {
    const char* signal = plan_.signal == CascadePlan::Signal::first_token ? "first-token logprob"
                         : plan_.signal == CascadePlan::Signal::mean      ? "mean logprob"
                                                                          : "min logprob";
    reason_ = "cascade " + c.tiers[plan_.cheap].name + " -> " + c.tiers[plan_.strong].name + " when " + signal +
              (plan_.signal == CascadePlan::Signal::first_token ? "" : " of " + std::to_string(plan_.tokens) + " tokens") +
              " < " + fmt(plan_.threshold);
  }

  std::optional<PolicyDecision> decide(const RequestFeatures&, const RouteContext&) const override {
    return PolicyDecision{plan_.cheap, reason_, plan_};
  }

 private:
  CascadePlan plan_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Policy> make_cascade_policy(const PolicyConfig& p, const Config& c) {
  return std::make_unique<CascadePolicy>(p, c);
}

// Signal over the first tokens' logprobs; nullopt when there are none.
std::optional<double> cascade_confidence(const CascadePlan& plan, const std::vector<double>& logprobs) {
  if (logprobs.empty()) return std::nullopt;
  if (plan.signal == CascadePlan::Signal::first_token) return logprobs.front();
  const auto n = std::min<std::size_t>(logprobs.size(), static_cast<std::size_t>(plan.tokens));
  double sum = 0, min = logprobs.front();
  for (std::size_t i = 0; i < n; ++i) {
    sum += logprobs[i];
    min = std::min(min, logprobs[i]);
  }
  return plan.signal == CascadePlan::Signal::mean ? sum / static_cast<double>(n) : min;
}

}  // namespace fulcrum
