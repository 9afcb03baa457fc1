#pragma once
// One routing policy. A policy either decides (a tier and why) or passes, and
// the router asks the next one; the default tier answers when all pass.
// Policies are immutable after construction and decide() is const: one
// instance serves every worker thread. decide() must not block or allocate
// beyond the reason string.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "routing/features.h"

namespace fulcrum {

struct PolicyDecision {
  std::size_t tier = 0;
  std::string reason;
  std::optional<CascadePlan> cascade;  // set: answer from `tier` only if it is confident
};

struct RouteContext {
  std::uint64_t request_hash = 0;  // stable per request (split policies)
  int utc_minute = 0;              // for time-of-day prices
  std::optional<std::size_t> previous_tier = std::nullopt;  // see RouteInput
  std::int64_t cached_prefix_tokens = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::optional<PolicyDecision> decide(const RequestFeatures& f, const RouteContext& ctx) const = 0;
};

// The registry: policy type in the config -> implementation.
std::unique_ptr<Policy> make_rules_policy(const PolicyConfig& p, const Config& c);
std::unique_ptr<Policy> make_split_policy(const PolicyConfig& p, const Config& c);
std::unique_ptr<Policy> make_threshold_policy(const PolicyConfig& p, const Config& c);
std::unique_ptr<Policy> make_expected_cost_policy(const PolicyConfig& p, const Config& c);
std::unique_ptr<Policy> make_cascade_policy(const PolicyConfig& p, const Config& c);
std::unique_ptr<Policy> make_policy(const PolicyConfig& p, const Config& c);

// The cascade's confidence signal over the logprobs of the first tokens of
// the cheap tier's answer; nullopt when the answer carried none.
std::optional<double> cascade_confidence(const CascadePlan& plan, const std::vector<double>& logprobs);

// "0.123" with up to `digits` decimals, trailing zeros trimmed (for reasons).
std::string fmt(double v, int digits = 3);

}  // namespace fulcrum
