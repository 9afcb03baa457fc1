// Thresholds on the learned score (or complexity): the highest level reached
// picks its tier; below every level, `below` answers. Without a learned model
// the policy passes.
//
// In a conversation whose previous turn another tier answered, that tier
// holds the cached prefix, and a move bills it at the new tier's miss price
// (prefix x (input - cached_input)). A threshold is a price put on quality:
// at the boundary `at` between two tiers the operator pays the turn's price
// difference dP for `at` points of score, so a point is worth dP / at dollars
// (or error_cost_usd per point of score, a tenth of it per point of
// complexity, when the policy sets it). The move must then clear the
// boundary by the lost cache's worth in points; otherwise the turn stays.
#include <cmath>

#include "core/money.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

class ThresholdPolicy final : public Policy {
 public:
  ThresholdPolicy(const PolicyConfig& p, const Config& c)
      : on_complexity_(p.threshold_on_complexity),
        below_(p.below_tier),
        levels_(p.levels),
        error_cost_(p.error_cost_usd),
        config_(c) {}

  std::optional<PolicyDecision> decide(const RequestFeatures& f, const RouteContext& ctx) const override {
    const auto v = on_complexity_ ? f.complexity : f.score;
    if (!v) return std::nullopt;
    const std::string name = on_complexity_ ? "complexity " : "score ";
    const std::size_t band = band_of(*v);
    PolicyDecision d{tier_of(band), std::string(), std::nullopt};
    d.reason = band == 0 ? name + fmt(*v) + " < " + fmt(levels_.front().first)
                         : name + fmt(*v) + " >= " + fmt(levels_[band - 1].first);
    d.reason += " -> " + config_.tiers[d.tier].name;
    if (ctx.previous_tier && *ctx.previous_tier != d.tier && ctx.cached_prefix_tokens > 0)
      weigh_lost_cache(*v, band, f, ctx, d);
    return d;
  }

 private:
  // Band 0 is below every level; band i >= 1 starts at levels_[i - 1].
  std::size_t band_of(double v) const {
    std::size_t band = 0;
    while (band < levels_.size() && v >= levels_[band].first) ++band;
    return band;
  }
  std::size_t tier_of(std::size_t band) const { return band == 0 ? below_ : levels_[band - 1].second; }

  double turn_price_usd(std::size_t tier, const RequestFeatures& f, const RouteContext& ctx) const {
    const auto& prices = config_.tiers[tier].prices_at(ctx.utc_minute);
    return to_usd(prices.uncached(f.prompt_tokens_estimate, config_.router.output_tokens_estimate));
  }

  void weigh_lost_cache(double v, std::size_t band, const RequestFeatures& f, const RouteContext& ctx,
                        PolicyDecision& d) const {
    const std::size_t previous = *ctx.previous_tier;
    // The previous tier's band nearest the one the score reached; none when
    // this policy never picks that tier (its cache is lost whatever we do).
    const auto distance = [band](std::size_t b) { return b > band ? b - band : band - b; };
    std::optional<std::size_t> home;
    for (std::size_t b = 0; b <= levels_.size(); ++b)
      if (tier_of(b) == previous && (!home || distance(b) < distance(*home))) home = b;
    if (!home || *home == band) return;
    const double boundary = band > *home ? levels_[*home].first : levels_[*home - 1].first;
    const auto& prices = config_.tiers[d.tier].prices_at(ctx.utc_minute);
    const double lost = to_usd(prices.cache_lost(ctx.cached_prefix_tokens));
    if (lost <= 0) return;
    double per_point = 0;
    if (error_cost_ > 0) {
      per_point = on_complexity_ ? error_cost_ / 10 : error_cost_;
    } else if (boundary > 0) {
      per_point = std::fabs(turn_price_usd(d.tier, f, ctx) - turn_price_usd(previous, f, ctx)) / boundary;
    }
    const std::string& home_name = config_.tiers[previous].name;
    if (per_point <= 0) {
      d.reason += "; the $" + fmt(lost, 6) + " of cached prefix on " + home_name +
                  " is not weighed: a level at or below 0 puts no price on a point (set error_cost_usd)";
      return;
    }
    const double margin = lost / per_point;
    const bool cleared = band > *home ? v >= boundary + margin : v < boundary - margin;
    std::string worth = "$";  // appended piece by piece: g++ 12 warns falsely (-Wrestrict) on one long + chain
    worth += fmt(lost, 6);
    worth += " of cached prefix on ";
    worth += home_name;
    worth += " (= ";
    worth += fmt(margin);
    worth += " points at $";
    worth += fmt(per_point, 6);
    worth += " a point)";
    if (cleared) {
      d.reason += "; clears the " + worth + " it loses";
    } else {
      d.reason += ", but moving loses " + worth + " -> stays on " + home_name;
      d.tier = previous;
    }
  }

  bool on_complexity_;
  std::size_t below_;
  std::vector<std::pair<double, std::size_t>> levels_;
  double error_cost_;
  const Config& config_;
};

}  // namespace

std::unique_ptr<Policy> make_threshold_policy(const PolicyConfig& p, const Config& c) {
  return std::make_unique<ThresholdPolicy>(p, c);
}

}  // namespace fulcrum
