#include "providers/tier_health.h"

namespace fulcrum {

TierHealth::TierHealth(const Config& config)
    : states_(std::make_unique<State[]>(config.tiers.size())), size_(config.tiers.size()) {
  for (std::size_t i = 0; i < size_; ++i) {
    const auto& cd = config.providers[config.tiers[i].provider_index].cooldown;
    states_[i].threshold = cd.failures;
    states_[i].duration = cd.duration;
  }
}

bool TierHealth::in_cooldown(std::size_t tier, std::chrono::steady_clock::time_point now) const {
  return tier < size_ && states_[tier].cooldown_until_ns.load(std::memory_order_relaxed) >
                             now.time_since_epoch().count();
}

void TierHealth::record_success(std::size_t tier) {
  if (tier < size_) states_[tier].consecutive_failures.store(0, std::memory_order_relaxed);
}

bool TierHealth::record_failure(std::size_t tier, std::chrono::steady_clock::time_point now) {
  if (tier >= size_) return false;
  auto& s = states_[tier];
  const int n = s.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n < s.threshold || s.duration.count() == 0) return false;
  s.consecutive_failures.store(0, std::memory_order_relaxed);
  const auto until = std::chrono::duration_cast<std::chrono::nanoseconds>((now + s.duration).time_since_epoch());
  s.cooldown_until_ns.store(until.count(), std::memory_order_relaxed);
  return true;
}

}  // namespace fulcrum
