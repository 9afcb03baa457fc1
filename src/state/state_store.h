#pragma once
// Where budgets, rate limits and the response cache keep their state: in
// this process (LocalStore, the default) or in Redis (RedisStore, shared by
// replicas). Every call is synchronous and bounded: the local store takes a
// mutex for a map operation; the Redis store does one round trip with a short
// timeout. Errors (Redis down) are values; the caller applies the configured
// fail-open / fail-closed mode.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace fulcrum {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Adds `delta` to the counter `key` and returns the new value. A counter
  // that did not exist starts at 0 and expires `ttl` after its creation.
  virtual Result<std::int64_t> add(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) = 0;
  // The counter's value; 0 when absent.
  virtual Result<std::int64_t> get(std::string_view key) = 0;
  // Cached values: nullopt when absent or expired.
  virtual Result<std::optional<std::string>> get_value(std::string_view key) = 0;
  virtual Status put_value(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) = 0;
  virtual std::string describe() const = 0;  // for logs: "local" or "redis://host:port"
};

// In-process store: a mutex-guarded map; expired entries are swept as it
// grows. `max_values` bounds the cached values (oldest evicted first).
std::unique_ptr<StateStore> make_local_store(std::size_t max_values = 10000);

// Redis: `url` is redis://HOST[:PORT][/DB]. Connects lazily, per thread;
// after a failure it waits `retry_after` before trying again (calls fail fast
// meanwhile).
Result<std::unique_ptr<StateStore>> make_redis_store(const std::string& url, std::chrono::milliseconds timeout,
                                                      std::chrono::milliseconds retry_after);

}  // namespace fulcrum
