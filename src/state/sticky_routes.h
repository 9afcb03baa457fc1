#pragma once
// Conversations that stay on one tier. A router decides per request, but an
// agent's tool loop bounced between tiers changes behaviour step to step and
// turns the provider's cached prefix into misses. With `router.sticky:
// tool_loops`, a request whose history ends in tool results goes to the tier
// that produced those tool calls; with `conversation`, every turn after the
// first goes where the first went. Identity comes from the request itself: a
// hash of the conversation's prefix (and the gateway key, so tenants never
// steer each other), mapped to the tier in the state store, so replicas that
// share Redis agree. Best effort: a store failure routes as usual.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "openai/chat_request.h"
#include "state/state_store.h"

namespace fulcrum {

class StickyRoutes {
 public:
  StickyRoutes(StickyMode mode, std::chrono::milliseconds ttl, StateStore& store)
      : mode_(mode), ttl_(ttl), store_(store) {}

  // The tier an earlier turn of the conversation this request continues was
  // answered by, when the mode keeps it sticky and the store remembers it.
  std::optional<std::string> tier_for(const ChatRequest& request, std::string_view scope) const;
  // After `tier` answered `request` routed (not named by the client):
  // remembers it for the turns that will continue it. `answer_calls_tools`:
  // the answer asked for tool calls (what tool_loops remembers).
  void remember(const ChatRequest& request, std::string_view scope, std::string_view tier,
                bool answer_calls_tools) const;

  // The store keys, exposed for tests: the key a request continues (lookup)
  // and the key its answer starts (remember); nullopt when there is none.
  static std::optional<std::string> continued_key(StickyMode mode, const ChatRequest& request, std::string_view scope);
  static std::optional<std::string> started_key(StickyMode mode, const ChatRequest& request, std::string_view scope,
                                                bool answer_calls_tools);

 private:
  StickyMode mode_;
  std::chrono::milliseconds ttl_;
  StateStore& store_;
};

}  // namespace fulcrum
