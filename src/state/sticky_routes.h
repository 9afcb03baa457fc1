#pragma once
// Conversations that stay on one tier. A router decides per request, but an
// agent's tool loop bounced between tiers changes behaviour step to step and
// turns the provider's cached prefix into misses. With `router.sticky:
// tool_loops`, a request whose history ends in tool results goes to the tier
// that produced those tool calls; with `conversation`, every turn after the
// first goes where the previous went (and so where the first went). Other
// turns are routed, knowing which tier holds the conversation's cached prefix
// (an expected-cost policy weighs moving it). Identity comes from the request
// itself: each routed turn's messages are hashed (with the gateway key, so
// tenants never steer each other) and mapped to the tier that answered, in
// the state store, so replicas that share Redis agree; the next turn sends
// the same messages again, then the answer and more. Best effort: a store
// failure routes as usual.
#include <chrono>
#include <cstdint>
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

  // What identifies a request's conversation, computed in one pass over its
  // messages: the key of the turn it continues (the messages before its last
  // assistant turn; none on a first turn) and the key of the turn it is.
  struct Keys {
    std::optional<std::string> continued;
    std::string own;                 // empty: no messages
    std::int64_t prefix_chars = 0;   // the continued turn's text: the prefix the provider has cached
    bool ends_in_tool_results = false;
  };
  static Keys keys(const ChatRequest& request, std::string_view scope);

  // The turn before this request, when the store remembers which tier answered it.
  struct Previous {
    std::string tier;
    std::int64_t prefix_chars = 0;
    bool keep = false;  // the mode keeps this request on that tier
  };
  std::optional<Previous> previous(const Keys& keys) const;
  // After `tier` answered the request, routed (not named by the client): the
  // next turn, which sends these messages again and then more, finds it.
  void remember(const Keys& keys, std::string_view tier) const;

 private:
  StickyMode mode_;
  std::chrono::milliseconds ttl_;
  StateStore& store_;
};

}  // namespace fulcrum
