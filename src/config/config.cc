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

std::string Config::valid_models() const {
  std::string valid = "auto";
  for (const auto& t : tiers) valid += ", " + t.name;
  for (const auto& a : router.aliases) valid += ", " + a;
  return valid;
}

bool Config::is_router_alias(std::string_view model) const {
  return model == "auto" ||
         std::find(router.aliases.begin(), router.aliases.end(), model) != router.aliases.end();
}

}  // namespace fulcrum
