#pragma once
// Wall-clock readings the gateway records and prices by.
#include <chrono>
#include <cstdint>

namespace fulcrum {

// Milliseconds since the Unix epoch (ledger times, request ids, budgets' days).
inline std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Minute of the UTC day, 0..1439 (time-of-day price windows).
inline std::int64_t unix_ns_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int utc_minute_now() { return static_cast<int>(unix_ms_now() / 60000 % (24 * 60)); }

}  // namespace fulcrum
