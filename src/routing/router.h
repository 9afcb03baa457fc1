#pragma once
// The seam between the gateway and routing. A Router picks the tier for
// requests whose model is "auto", absent, or a configured alias, and says
// why. Implementations must be thread-safe for concurrent route() calls
// (one immutable instance serves all worker threads) and must not block:
// route() runs on the event loop.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "openai/chat_request.h"
#include "providers/tier_stats.h"
#include "routing/features.h"

namespace fulcrum {

class OutcomeModel;

struct RouteInput {
  const ChatRequest& request;
  HeaderLookup header;           // may be empty
  std::string_view request_id;   // stable per request (weighted splits)
  // The tier that answered the conversation's previous turn, which holds its
  // prefix in the provider's cache, and that prefix's size: moving elsewhere
  // bills it at the miss price (expected-cost policies weigh it).
  std::optional<std::size_t> previous_tier = std::nullopt;
  std::int64_t cached_prefix_tokens = 0;
  // Also measure the features no configured condition reads, to explain the
  // decision with all of them (`fulcrum route --explain`).
  bool every_feature = false;
};

struct RoutingDecision {
  std::size_t tier_index = 0;  // into Config::tiers
  std::string reason;          // short, human-readable (goes into x-fulcrum-reason)
  RequestFeatures features;
  std::optional<CascadePlan> cascade;  // set: escalate unless the tier answers confidently
};

class Router {
 public:
  virtual ~Router() = default;
  // Fails only on bad client input (e.g. a declared budget that is not a number).
  virtual Result<RoutingDecision> route(const RouteInput& input) const = 0;
};

// The configured router: features (and the learned model, if router.model is
// set), then router.policies in order, then router.default; a pick that breaks
// the request's money budget (x-fulcrum-budget-usd) or latency budget
// (x-fulcrum-latency-budget-ms) is skipped. `stats` (may be null: config
// priors are used) must outlive the router. Loads the model file; a relative
// path is taken from the config file's directory.
Result<std::unique_ptr<Router>> build_router(ConfigPtr config, const TierStats* stats = nullptr);
// The same with `model` in place of router.model's file: `fulcrum simulate`
// replays the configured policies with models that never saw the row routed.
Result<std::unique_ptr<Router>> build_router(ConfigPtr config, const TierStats* stats,
                                             std::unique_ptr<OutcomeModel> model);

}  // namespace fulcrum
