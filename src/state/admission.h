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

// The key in an Authorization header: "Bearer KEY", or "Basic base64(USER:KEY)"
// (any user), which browsers send for a page; empty when neither.
std::string presented_key(std::string_view authorization_header);
// Whether the header holds the configured admin key (observability.admin_sha256).
bool is_admin_key(const Config& config, std::string_view authorization_header);

// Whether the state store answers, shared by every Admission built over the
// gateway's life (config reloads build new ones).
struct StoreHealth {
  std::atomic<std::uint64_t> errors{0};
  std::atomic<bool> down{false};
};

// A request's hold on its key's daily budget: taken before the upstream is
// called, settled with the real cost once (see Admission::settle).
struct BudgetReservation {
  PicoUsd amount = 0;     // 0: nothing held (no budget, or the store was down and fail-open let it through)
  std::int64_t day = -1;  // the UTC day whose spend holds it; -1: none taken (settle uses today)
};

class Admission {
 public:
  Admission(const Config& config, StateStore& store, StoreHealth& health);

  // 401 (unauthorized) for a missing or unknown key. Accepts "Bearer KEY" and
  // "Basic base64(USER:KEY)" (any user), which browsers send for a dashboard.
  Result<const ApiKey*> authenticate(std::string_view authorization_header) const;
  // Whether the header holds a gateway key or the configured admin key.
  bool may_observe(std::string_view authorization_header) const;
  // Rate limits, before routing: 429 when requests_per_minute or
  // tokens_per_minute is reached; `prompt_tokens` (the request's estimate)
  // counts against tokens_per_minute up front.
  Status admit(const ApiKey& key, std::int64_t prompt_tokens, std::int64_t now_unix_ms);
  // Counts one call against requests_per_minute alone (feedback): 429 past it.
  Status count_request(const ApiKey& key, std::int64_t now_unix_ms);
  // Holds `worst_case` against the key's daily budget, atomically with every
  // other replica on the store: 429 (budget_exceeded, `why` names what the
  // request may cost) when it does not fit what is left today.
  Result<BudgetReservation> reserve(const ApiKey& key, PicoUsd worst_case, std::int64_t now_unix_ms,
                                    std::string_view why);
  // After the answer, on every path: what it really used replaces the
  // reservation and the prompt estimate.
  void settle(const ApiKey& key, const BudgetReservation& reservation, std::int64_t prompt_tokens_estimate,
              std::int64_t tokens_used, PicoUsd cost, std::int64_t now_unix_ms);

 private:
  // A store failure: nullopt to go on (fail-open), or the 503 to answer.
  std::optional<Error> on_store_error(const Error& e);
  void on_store_ok();
  const ApiKey* find(std::string_view presented_key) const;  // by its hash; null when unknown or empty

  const Config& config_;
  StateStore& store_;
  std::unordered_map<std::string, const ApiKey*> by_hash_;
  StoreHealth& health_;
};

}  // namespace fulcrum
