// Expected cost: for each candidate tier, price(prompt + expected answer) +
// P(the tier answers badly) x error cost, and the cheapest wins. P comes from
// the learned model's calibrated weak/strong probability, whichever the config
// says the tier behaves like. The error cost is the request's declared one,
// else its domain's, else the policy's. Without a learned model it passes.
// In a conversation whose previous turn another tier answered, a move also
// costs the cached prefix: billed at the new tier's miss price instead of the
// hit price (prefix tokens x (input - cached_input)).
#include "routing/policy.h"

#include <limits>

namespace fulcrum {
namespace {

class ExpectedCostPolicy final : public Policy {
 public:
  ExpectedCostPolicy(const PolicyConfig& p, const Config& c)
      : candidates_(p.candidates), error_cost_(p.error_cost_usd), output_tokens_(p.output_tokens), config_(c) {}

  std::optional<PolicyDecision> decide(const RequestFeatures& f, const RouteContext& ctx) const override {
    if (!f.p_weak || !f.p_strong) return std::nullopt;
    const double error_cost = f.error_cost_usd.value_or(error_cost_);
    std::size_t best = candidates_.front().first;
    double best_total = std::numeric_limits<double>::infinity();
    std::string why = "expected cost (error $" + fmt(error_cost, 4) + "):";
    for (const auto& [tier, strong] : candidates_) {
      const auto& prices = config_.tiers[tier].prices_at(ctx.utc_minute);
      const double price = to_usd(prices.uncached(f.prompt_tokens_estimate, output_tokens_));
      const double p_fail = 1.0 - (strong ? *f.p_strong : *f.p_weak);
      const double moved = ctx.previous_tier && *ctx.previous_tier != tier
                               ? to_usd(prices.cache_lost(ctx.cached_prefix_tokens))
                               : 0.0;
      const double total = price + p_fail * error_cost + moved;
      why += " " + config_.tiers[tier].name + " $" + fmt(total, 6) + " = " + fmt(price, 6) + " + " + fmt(p_fail, 2) +
             " x " + fmt(error_cost, 4) + (moved > 0 ? " + " + fmt(moved, 6) + " cache lost" : std::string()) + ";";
      if (total < best_total) {
        best_total = total;
        best = tier;
      }
    }
    return PolicyDecision{best, why + " -> " + config_.tiers[best].name, std::nullopt};
  }

 private:
  std::vector<std::pair<std::size_t, bool>> candidates_;
  double error_cost_;
  std::int64_t output_tokens_;
  const Config& config_;
};

}  // namespace

std::unique_ptr<Policy> make_expected_cost_policy(const PolicyConfig& p, const Config& c) {
  return std::make_unique<ExpectedCostPolicy>(p, c);
}

}  // namespace fulcrum
