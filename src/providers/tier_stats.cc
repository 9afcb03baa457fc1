#include "providers/tier_stats.h"

#include <cmath>

namespace fulcrum {
namespace {
constexpr double kAlpha = 0.1;  // a sample moves the mean 10%: ~20 requests to adapt
}

void TierStats::Ewma::update(double sample, double alpha) {
  double old = value.load(std::memory_order_relaxed);
  while (!value.compare_exchange_weak(old, old + alpha * (sample - old), std::memory_order_relaxed)) {
  }
}

TierStats::TierStats(const Config& config)
    : tiers_(std::make_unique<PerTier[]>(config.tiers.size())), size_(config.tiers.size()) {
  for (std::size_t i = 0; i < size_; ++i) {
    tiers_[i].ttft_ms.value = config.tiers[i].ttft_ms_prior;
    tiers_[i].chars_per_token.value = 4.0;
  }
}

double TierStats::ttft_ms(std::size_t tier) const {
  return tier < size_ ? tiers_[tier].ttft_ms.value.load(std::memory_order_relaxed) : 0;
}

double TierStats::chars_per_token(std::size_t tier) const {
  return tier < size_ ? tiers_[tier].chars_per_token.value.load(std::memory_order_relaxed) : 4.0;
}

std::int64_t TierStats::estimate_tokens(std::size_t tier, std::int64_t chars) const {
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(chars) / chars_per_token(tier)));
}

void TierStats::record_ttft(std::size_t tier, double ms) {
  if (tier < size_ && ms >= 0) tiers_[tier].ttft_ms.update(ms, kAlpha);
}

void TierStats::record_prompt(std::size_t tier, std::int64_t chars, std::int64_t tokens) {
  // Tiny prompts are dominated by the chat template's own tokens: skip them.
  if (tier >= size_ || tokens < 16 || chars <= 0) return;
  const double ratio = static_cast<double>(chars) / static_cast<double>(tokens);
  if (ratio > 0.5 && ratio < 20) tiers_[tier].chars_per_token.update(ratio, kAlpha);
}

}  // namespace fulcrum
