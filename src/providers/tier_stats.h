#pragma once
// Per-tier figures learned online from real traffic and shared by all worker
// threads: time to first token (for latency budgets) and characters per
// prompt token (for token estimates before the upstream counts them). Each is
// an exponentially weighted mean seeded with a prior from the config.
// Lock-free: a compare-and-swap loop on the double's bits.
#include <atomic>
#include <cstdint>
#include <memory>

#include "config/config.h"

namespace fulcrum {

class TierStats {
 public:
  explicit TierStats(const Config& config);

  double ttft_ms(std::size_t tier) const;
  double chars_per_token(std::size_t tier) const;
  std::int64_t estimate_tokens(std::size_t tier, std::int64_t chars) const;

  void record_ttft(std::size_t tier, double ms);
  // From a response whose usage the upstream reported (not estimated).
  void record_prompt(std::size_t tier, std::int64_t chars, std::int64_t tokens);

 private:
  struct Ewma {
    std::atomic<double> value{0};
    void update(double sample, double alpha);
  };
  struct PerTier {
    Ewma ttft_ms;
    Ewma chars_per_token;
  };
  std::unique_ptr<PerTier[]> tiers_;
  std::size_t size_ = 0;
};

}  // namespace fulcrum
