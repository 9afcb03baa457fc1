#include "routing/router.h"

#include <filesystem>
#include <vector>

#include "core/clock.h"
#include "core/stable_hash.h"
#include "learn/domain_classifier.h"
#include "learn/outcome_model.h"
#include "routing/conditions.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

class PolicyRouter final : public Router {
 public:
  PolicyRouter(ConfigPtr config, std::unique_ptr<OutcomeModel> model, std::unique_ptr<DomainClassifier> domains,
               const TierStats* stats)
      : config_(std::move(config)), model_(std::move(model)), domains_(std::move(domains)), stats_(stats),
        features_(config_->router, model_.get(), domains_.get()),
        default_tier_(config_->tier_index(config_->router.default_tier).value_or(0)) {
    for (const auto& p : config_->router.policies) policies_.push_back(make_policy(p, *config_));
  }

  Result<RoutingDecision> route(const RouteInput& in) const override {
    auto f = features_.extract(in.request, in.header, in.every_feature);
    if (!f) return std::move(f).error();
    RouteContext ctx;
    ctx.request_hash = stable_hash(in.request_id);
    ctx.utc_minute = utc_minute_now();
    ctx.previous_tier = in.previous_tier;
    ctx.cached_prefix_tokens = in.cached_prefix_tokens;
    // A tier whose context window the request does not fit is never picked;
    // a request no tier's window holds is refused before any upstream call.
    bool any_window = false;
    for (std::size_t t = 0; t < config_->tiers.size() && !any_window; ++t) any_window = outside_window(t, *f).empty();
    if (!any_window) {
      std::string windows;
      for (std::size_t t = 0; t < config_->tiers.size(); ++t) windows += (t ? "; " : "") + outside_window(t, *f);
      return make_error(Errc::invalid_request, "This request does not fit any tier's context window: " + windows +
                                                   ". Shorten the messages or lower max_tokens.", "messages");
    }
    // A policy's pick that breaks the request's money or latency budget (or
    // its window) is skipped, and the next policy is asked.
    std::string skipped;
    auto fits = [&](std::size_t tier) {
      auto why = outside_window(tier, *f);
      if (why.empty()) why = over_budget(tier, *f, ctx.utc_minute);
      // Once each: a policy and the default may both pick the same tier.
      if (!why.empty() && skipped.find(why) == std::string::npos)
        skipped += (skipped.empty() ? "skipped " : "; skipped ") + why;
      return why.empty();
    };
    auto decided = [&](std::size_t tier, std::string reason, std::optional<CascadePlan> cascade = std::nullopt) {
      if (!skipped.empty()) reason = skipped + "; " + reason;
      return RoutingDecision{tier, std::move(reason), std::move(f.value()), cascade};
    };
    for (std::size_t i = 0; i < policies_.size(); ++i) {
      const auto& when = config_->router.policies[i].when;
      std::string scope;
      if (!when.empty() && !all_hold(when, *f, scope)) continue;
      if (auto d = policies_[i]->decide(*f, ctx)) {
        if (!fits(d->tier)) continue;
        if (!scope.empty()) d->reason = scope + ": " + d->reason;
        return decided(d->tier, std::move(d->reason), d->cascade);
      }
    }
    if (fits(default_tier_)) return decided(default_tier_, "default tier " + config_->tiers[default_tier_].name);
    for (std::size_t t = 0; t < config_->tiers.size(); ++t)
      if (t != default_tier_ && outside_window(t, *f).empty() && over_budget(t, *f, ctx.utc_minute).empty())
        return decided(t, "first tier within budget: " + config_->tiers[t].name);
    // No tier fits the budget: the default if its window holds the request, else the first that does.
    std::size_t fallback = default_tier_;
    if (!outside_window(fallback, *f).empty())
      for (std::size_t t = 0; t < config_->tiers.size(); ++t)
        if (outside_window(t, *f).empty()) {
          fallback = t;
          break;
        }
    return decided(fallback, std::string("no tier fits the budget: ") +
                                 (fallback == default_tier_ ? "default tier " : "first tier whose window fits: ") +
                                 config_->tiers[fallback].name);
  }

 private:
  // Why the request does not fit `tier`'s context window, or empty when it does
  // (or the tier declares none). The prompt is every message's text, at the
  // tier's measured characters per token.
  std::string outside_window(std::size_t tier, const RequestFeatures& f) const {
    const auto& t = config_->tiers[tier];
    if (t.max_output_tokens > 0 && f.max_output_tokens > t.max_output_tokens)
      return t.name + " (max_tokens " + std::to_string(f.max_output_tokens) + " > its " +
             std::to_string(t.max_output_tokens) + "-token answer limit)";
    if (t.context_tokens <= 0) return {};
    const auto prompt = stats_ ? stats_->estimate_tokens(tier, f.request_chars) : (f.request_chars + 3) / 4;
    const auto needed = prompt + f.max_output_tokens;
    if (needed <= t.context_tokens) return {};
    return t.name + " (needs ~" + std::to_string(needed) + " tokens > its " + std::to_string(t.context_tokens) +
           "-token context window)";
  }

  // Why `tier` breaks the request's budgets, or empty when it fits.
  std::string over_budget(std::size_t tier, const RequestFeatures& f, int utc_minute) const {
    const auto& t = config_->tiers[tier];
    if (f.budget_usd) {
      const auto tokens = stats_ ? stats_->estimate_tokens(tier, f.prompt_chars) : f.prompt_tokens_estimate;
      const auto& prices = t.prices_at(utc_minute);
      const double cost = to_usd(prices.uncached(tokens, config_->router.output_tokens_estimate));
      if (cost > *f.budget_usd)
        return t.name + " (est. $" + fmt(cost, 6) + " > budget $" + fmt(*f.budget_usd, 6) + ")";
    }
    if (f.latency_budget_ms) {
      const double ttft = stats_ ? stats_->ttft_ms(tier) : t.ttft_ms_prior;
      if (ttft > *f.latency_budget_ms)
        return t.name + " (ttft " + fmt(ttft, 0) + " ms > budget " + fmt(*f.latency_budget_ms, 0) + " ms)";
    }
    return {};
  }

  ConfigPtr config_;
  std::unique_ptr<OutcomeModel> model_;
  std::unique_ptr<DomainClassifier> domains_;
  const TierStats* stats_;
  FeatureExtractor features_;
  std::size_t default_tier_;
  std::vector<std::unique_ptr<Policy>> policies_;
};

}  // namespace

Result<std::unique_ptr<Router>> build_router(ConfigPtr config, const TierStats* stats) {
  return build_router(std::move(config), stats, nullptr);
}

Result<std::unique_ptr<Router>> build_router(ConfigPtr config, const TierStats* stats,
                                             std::unique_ptr<OutcomeModel> model) {
  if (!config->tier_index(config->router.default_tier))
    return make_error(Errc::internal, "router.default names no tier");
  auto resolve = [&](const std::string& p) {
    std::filesystem::path path(p);
    if (path.is_relative() && !config->source_path.empty())
      path = std::filesystem::path(config->source_path).parent_path() / path;
    return path.string();
  };
  if (!model && !config->router.model_path.empty()) {
    auto loaded = OutcomeModel::load(resolve(config->router.model_path));
    if (!loaded) return make_error(Errc::internal, "router.model: " + loaded.error().message);
    model = std::make_unique<OutcomeModel>(std::move(loaded.value()));
  }
  std::unique_ptr<DomainClassifier> domains;
  if (!config->router.domain_model_path.empty()) {
    auto loaded = DomainClassifier::load(resolve(config->router.domain_model_path));
    if (!loaded) return make_error(Errc::internal, "router.domain_model: " + loaded.error().message);
    domains = std::make_unique<DomainClassifier>(std::move(loaded.value()));
  }
  if (model && domains && (model->feature_options().bigrams != domains->feature_options().bigrams ||
                            model->feature_options().char_ngrams != domains->feature_options().char_ngrams))
    return make_error(Errc::internal, "router.model and router.domain_model were trained with different feature "
                                      "kinds; retrain one of them (scripts/train-default-model.sh)");
  for (const auto& p : config->router.policies) {
    const bool needs_model = p.type == PolicyConfig::Type::threshold || p.type == PolicyConfig::Type::expected_cost;
    if (needs_model && !model)
      return make_error(Errc::internal, p.yaml_path + ": this policy needs the learned model: set router.model "
                                                      "(train one with `fulcrum train`)");
  }
  return std::unique_ptr<Router>(std::make_unique<PolicyRouter>(std::move(config), std::move(model), std::move(domains), stats));
}

}  // namespace fulcrum
