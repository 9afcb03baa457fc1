#pragma once
// The order and pacing of one request's upstream calls, decided apart from
// making them: the chosen tier, a cascade's strong tier, then fallbacks (each
// tier once, chained; tiers cooling down last). A retryable failure is tried
// again on the same tier after a doubling backoff (an upstream's Retry-After
// is believed up to max_backoff; a longer one moves on). An upstream that says
// the prompt is too long for its tier's window moves the request to the
// cheapest untried tier with a longer one. Anything else the upstream refused
// ends the request: another tier would refuse it too.
#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "providers/credentials.h"

namespace fulcrum {

class AttemptPlan {
 public:
  enum class Move {
    first,             // the chosen tier's first call
    retry,             // the same tier again, after `delay`
    fallback,          // the next tier, after the previous failed (`after`) or was cooling down (no `after`)
    cooled_down_last,  // the chosen tier, put last for its cooldown, after the others failed
    longer_window,     // a tier with a longer context window, after `from` said the prompt was too long
    escalation,        // the cascade's strong tier, after the cheap answer was not confident
  };
  struct Step {
    std::size_t tier = 0;
    Move move = Move::first;
    std::chrono::milliseconds delay{0};
    const Error* after = nullptr;  // the failure that led here; valid until the next call to the plan
    std::size_t from = 0;          // the tier before (longer_window)
  };

  // `tiers`: the calls' order, from `chosen` on (cooling tiers already last).
  AttemptPlan(const Config& config, const Credentials& credentials, std::size_t chosen, std::vector<std::size_t> tiers);

  Step first() const;
  // After a call that failed with `failure`: the next call, or nullopt when the request ends with it.
  std::optional<Step> after_failure(const Error& failure);
  // After the cascade discarded the cheap answer: the next tier (the strong one), if any is left.
  std::optional<Step> after_escalation();

 private:
  std::optional<Step> next_tier(Move move);
  std::optional<std::size_t> longer_window_than(std::size_t tier) const;

  const Config& config_;
  const Credentials& credentials_;
  std::size_t chosen_;
  std::vector<std::size_t> tiers_;
  std::size_t at_ = 0;   // index in tiers_ of the tier being called
  int retries_ = 0;      // retries made on it
  Error last_;           // the latest failure (Step::after points here)
};

// Whether an upstream refused a request for its length: OpenAI's
// `context_length_exceeded` code, or the "maximum context length" message
// OpenAI-compatible servers (DeepSeek, vLLM) send with a 400.
bool context_length_exceeded(const Error& e);

}  // namespace fulcrum
