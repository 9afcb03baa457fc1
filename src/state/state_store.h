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
  // Adds `delta` (> 0) to the counter `key` only if the result stays <= `limit`,
  // atomically (one Lua script in Redis): the new value, or nullopt when it
  // would not fit (the counter is then unchanged). Budget reservations use it,
  // so concurrent requests, on one replica or many, never commit more than the
  // limit between them.
  virtual Result<std::optional<std::int64_t>> add_if_at_most(std::string_view key, std::int64_t delta,
                                                             std::int64_t limit, std::chrono::milliseconds ttl) = 0;
  // The counter's value; 0 when absent.
  virtual Result<std::int64_t> get(std::string_view key) = 0;
  // Cached values: nullopt when absent or expired.
  virtual Result<std::optional<std::string>> get_value(std::string_view key) = 0;
  virtual Status put_value(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) = 0;
  virtual std::string describe() const = 0;  // for logs: "local" or "redis://host:port"
  // Whether a call waits on the network (Redis): the gateway then makes its
  // calls off the event loops (GatewayState::store_calls).
  virtual bool remote() const { return false; }
};

// In-process store: a mutex-guarded map; expired entries are swept as it
// grows. `max_values` bounds the cached values (oldest evicted first).
// The URL for logs: a redis:// URL's password replaced by "***".
std::string redact_url(const std::string& url);

std::unique_ptr<StateStore> make_local_store(std::size_t max_values = 10000);

// Redis: `url` is redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]. Connects
// lazily (AUTH with the URL's password, then SELECT); after a failure it waits
// `retry_after` before trying again (calls fail fast meanwhile). describe()
// and every error show the URL with its password redacted.
// A non-empty `password` (read from the variable state.password_env names) is used instead of the URL's.
Result<std::unique_ptr<StateStore>> make_redis_store(const std::string& url, std::chrono::milliseconds timeout,
                                                      std::chrono::milliseconds retry_after,
                                                      const std::string& password = {});

}  // namespace fulcrum
