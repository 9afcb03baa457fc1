#include "config/config.h"

#include <algorithm>

namespace fulcrum {

const Prices& Tier::prices_at(int utc_minute) const {
  for (const auto& w : price_windows) {
    const bool inside = w.from_minute <= w.to_minute
                            ? (utc_minute >= w.from_minute && utc_minute < w.to_minute)
                            : (utc_minute >= w.from_minute || utc_minute < w.to_minute);
    if (inside) return w.prices;
  }
  return prices;
}

std::optional<std::size_t> Config::tier_index(std::string_view name) const {
  for (std::size_t i = 0; i < tiers.size(); ++i)
    if (tiers[i].name == name) return i;
  return std::nullopt;
}

const Tier* Config::find_tier(std::string_view name) const {
  auto i = tier_index(name);
  return i ? &tiers[*i] : nullptr;
}

std::optional<Config::ModelTarget> Config::resolve_model(const std::optional<std::string>& model) const {
  if (!model || is_router_alias(*model)) return ModelTarget{std::nullopt, {}};
  if (auto i = tier_index(*model)) return ModelTarget{i, "requested tier " + tiers[*i].name};
  for (const auto& [alias, tier] : router.tier_aliases)
    if (alias == *model)
      if (auto i = tier_index(tier)) return ModelTarget{i, "model " + alias + " is an alias of tier " + tiers[*i].name};
  for (std::size_t i = 0; i < tiers.size(); ++i)
    if (tiers[i].model == *model) return ModelTarget{i, "upstream model " + tiers[i].model + " is tier " + tiers[i].name};
  return std::nullopt;
}

std::vector<std::string> Config::model_names() const {
  std::vector<std::string> names{"auto"};
  auto add = [&](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const auto& t : tiers) add(t.name);
  for (const auto& a : router.aliases) add(a);
  for (const auto& [alias, tier] : router.tier_aliases) add(alias);
  for (const auto& t : tiers) add(t.model);
  return names;
}

std::string Config::valid_models() const {
  std::string valid;
  for (const auto& n : model_names()) valid += (valid.empty() ? "" : ", ") + n;
  return valid;
}

bool Config::is_router_alias(std::string_view model) const {
  return model == "auto" ||
         std::find(router.aliases.begin(), router.aliases.end(), model) != router.aliases.end();
}

}  // namespace fulcrum
