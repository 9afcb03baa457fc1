#include "routing/router.h"

#include <chrono>
#include <filesystem>
#include <vector>

#include "learn/outcome_model.h"
#include "routing/conditions.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  // Final avalanche (splitmix64) so nearby ids spread over [0, 1).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

class PolicyRouter final : public Router {
 public:
  PolicyRouter(ConfigPtr config, std::unique_ptr<OutcomeModel> model)
      : config_(std::move(config)), model_(std::move(model)), features_(config_->router, model_.get()),
        default_tier_(config_->tier_index(config_->router.default_tier).value_or(0)) {
    for (const auto& p : config_->router.policies) policies_.push_back(make_policy(p, *config_));
  }

  Result<RoutingDecision> route(const RouteInput& in) const override {
    auto f = features_.extract(in.request, in.header);
    if (!f) return std::move(f).error();
    RouteContext ctx;
    ctx.request_hash = fnv1a(in.request_id);
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    ctx.utc_minute = static_cast<int>(minutes % (24 * 60));
    for (std::size_t i = 0; i < policies_.size(); ++i) {
      const auto& when = config_->router.policies[i].when;
      std::string scope;
      if (!when.empty() && !all_hold(when, *f, scope)) continue;
      if (auto d = policies_[i]->decide(*f, ctx)) {
        if (!scope.empty()) d->reason = scope + ": " + d->reason;
        return RoutingDecision{d->tier, std::move(d->reason), std::move(f.value())};
      }
    }
    return RoutingDecision{default_tier_, "default tier " + config_->tiers[default_tier_].name, std::move(f.value())};
  }

 private:
  ConfigPtr config_;
  std::unique_ptr<OutcomeModel> model_;
  FeatureExtractor features_;
  std::size_t default_tier_;
  std::vector<std::unique_ptr<Policy>> policies_;
};

}  // namespace

Result<std::unique_ptr<Router>> build_router(ConfigPtr config) {
  if (!config->tier_index(config->router.default_tier))
    return make_error(Errc::internal, "router.default names no tier");
  std::unique_ptr<OutcomeModel> model;
  if (!config->router.model_path.empty()) {
    std::filesystem::path path(config->router.model_path);
    if (path.is_relative() && !config->source_path.empty())
      path = std::filesystem::path(config->source_path).parent_path() / path;
    auto loaded = OutcomeModel::load(path.string());
    if (!loaded) return make_error(Errc::internal, "router.model: " + loaded.error().message);
    model = std::make_unique<OutcomeModel>(std::move(loaded.value()));
  }
  for (const auto& p : config->router.policies) {
    const bool needs_model = p.type == PolicyConfig::Type::threshold || p.type == PolicyConfig::Type::expected_cost;
    if (needs_model && !model)
      return make_error(Errc::internal, p.yaml_path + ": this policy needs the learned model: set router.model "
                                                      "(train one with `fulcrum train`)");
  }
  return std::unique_ptr<Router>(std::make_unique<PolicyRouter>(std::move(config), std::move(model)));
}

}  // namespace fulcrum
