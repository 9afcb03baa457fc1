#pragma once
// Exact-match response cache for whole (non-streamed) answers. A request is
// cached when the config's mode allows it: `deterministic` (the default)
// caches requests with temperature 0 and those that opt in with the header
// (or metadata) `x-fulcrum-cache: on`; `opt_in` only the latter; `off` none.
// `x-fulcrum-cache: off` always skips it. The key is the SHA-256 of the
// gateway key's name (one tenant never gets another's answer), the tier and
// the request body with its keys sorted (metadata, user and stream fields
// left out: they do not change the answer).
#include <optional>
#include <string>

#include "config/config.h"
#include "openai/chat_request.h"
#include "routing/features.h"
#include "state/state_store.h"

namespace fulcrum {

class ResponseCache {
 public:
  ResponseCache(const CacheConfig& config, StateStore& store) : config_(config), store_(store) {}

  // The cache key, or nullopt when this request must not use the cache.
  // `scope` is the gateway key's name (empty on an open gateway).
  std::optional<std::string> key_for(const ChatRequest& request, std::string_view scope, std::string_view tier,
                                     const HeaderLookup& header) const;
  // A stored answer; a store failure counts as a miss.
  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, std::string_view body);

 private:
  const CacheConfig& config_;
  StateStore& store_;
};

}  // namespace fulcrum
