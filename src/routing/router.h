#pragma once
// The seam between the gateway and routing policies. A Router picks the tier
// for requests whose model is "auto", absent, or a configured alias, and says
// why. Implementations must be thread-safe for concurrent route() calls
// (they are shared, immutable, by all worker threads) and must not block:
// route() runs on the event loop.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "openai/chat_request.h"

namespace fulcrum {

// What the router knew about the request when it decided.
struct RequestFeatures {
  std::size_t message_count = 0;
  std::int64_t prompt_chars = 0;
  std::int64_t prompt_tokens_estimate = 0;
};

struct RoutingDecision {
  std::size_t tier_index = 0;  // into Config::tiers
  std::string reason;          // short, human-readable, ASCII (goes into a header)
  RequestFeatures features;
};

class Router {
 public:
  virtual ~Router() = default;
  virtual RoutingDecision route(const ChatRequest& request) const = 0;
};

RequestFeatures extract_features(const ChatRequest& request);

// Always answers the configured default tier.
class DefaultTierRouter final : public Router {
 public:
  DefaultTierRouter(std::size_t default_tier, std::string tier_name)
      : tier_(default_tier), reason_("default tier " + std::move(tier_name)) {}
  RoutingDecision route(const ChatRequest& request) const override;

 private:
  std::size_t tier_;
  std::string reason_;
};

}  // namespace fulcrum
