#pragma once
// Per-tier failure tracking shared by all worker threads: after
// `cooldown.failures` consecutive failed attempts a tier is skipped (its
// fallbacks answer) for `cooldown.duration`. Lock-free; relaxed atomics are
// enough because a slightly stale view only delays or extends a cooldown by
// one request.
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "config/config.h"

namespace fulcrum {

class TierHealth {
 public:
  explicit TierHealth(const Config& config);

  bool in_cooldown(std::size_t tier, std::chrono::steady_clock::time_point now) const;
  void record_success(std::size_t tier);
  // Returns true when this failure started a cooldown.
  bool record_failure(std::size_t tier, std::chrono::steady_clock::time_point now);

 private:
  struct State {
    std::atomic<int> consecutive_failures{0};
    std::atomic<std::int64_t> cooldown_until_ns{0};
    int threshold = 5;
    std::chrono::nanoseconds duration{0};
  };
  std::unique_ptr<State[]> states_;
  std::size_t size_ = 0;
};

}  // namespace fulcrum
