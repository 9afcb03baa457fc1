#pragma once
// Gateway API keys, their daily budgets and rate limits. A request names its
// key as `Authorization: Bearer <key>`; the key is hashed (SHA-256) and looked
// up among the configured hashes, so keys are never held in clear. Limits are
// counted in the StateStore (per key and UTC minute / UTC day), so replicas
// sharing a Redis store enforce one budget.
//
// Thread-safe; called on worker threads. When the store fails, fail-open lets
// the request through (counted in store_errors()), fail-closed answers 503.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"
#include "core/result.h"
#include "state/state_store.h"

namespace fulcrum {

std::string sha256_hex(std::string_view data);

// Whether the state store answers, shared by every Admission built over the
// gateway's life (config reloads build new ones).
struct StoreHealth {
  std::atomic<std::uint64_t> errors{0};
  std::atomic<bool> down{false};
};

class Admission {
 public:
  Admission(const Config& config, StateStore& store, StoreHealth& health);

  // 401 (unauthorized) for a missing or unknown key.
  Result<const ApiKey*> authenticate(std::string_view authorization_header) const;
  // 429 when a limit or the budget is reached; `prompt_tokens` is the
  // request's estimate (counts against tokens_per_minute up front).
  Status admit(const ApiKey& key, std::int64_t prompt_tokens, std::int64_t now_unix_ms);
  // After the answer: what it really used.
  void settle(const ApiKey& key, std::int64_t prompt_tokens_estimate, std::int64_t tokens_used, PicoUsd cost,
              std::int64_t now_unix_ms);


 private:
  // A store failure: nullopt to go on (fail-open), or the 503 to answer.
  std::optional<Error> on_store_error(const Error& e);
  void on_store_ok();

  const Config& config_;
  StateStore& store_;
  std::unordered_map<std::string, const ApiKey*> by_hash_;
  StoreHealth& health_;
};

}  // namespace fulcrum
