#include "proxy/attempt_plan.h"

#include <algorithm>
#include <string_view>

namespace fulcrum {

bool context_length_exceeded(const Error& e) {
  if (e.code != Errc::upstream_status || (e.upstream_status != 400 && e.upstream_status != 413)) return false;
  const std::string_view body = e.upstream_body;
  for (std::string_view sign : {"context_length_exceeded", "maximum context length", "context length", "context window"})
    if (body.find(sign) != std::string_view::npos) return true;
  return false;
}

AttemptPlan::AttemptPlan(const Config& config, const Credentials& credentials, std::size_t chosen,
                         std::vector<std::size_t> tiers)
    : config_(config), credentials_(credentials), chosen_(chosen), tiers_(std::move(tiers)) {}

AttemptPlan::Step AttemptPlan::first() const {
  // The chosen tier cooling down was put last: the first call is already a fallback.
  return Step{tiers_.front(), tiers_.front() == chosen_ ? Move::first : Move::fallback, {}, nullptr, chosen_};
}

std::optional<AttemptPlan::Step> AttemptPlan::after_failure(const Error& failure) {
  last_ = failure;
  if (failure.code == Errc::client_closed) return std::nullopt;
  const auto tier = tiers_[at_];
  const auto& retry = config_.providers[config_.tiers[tier].provider_index].retry;
  if (is_retryable(failure) && retries_ < retry.max_retries) {
    auto delay = std::min(retry.max_backoff, retry.backoff * (1 << retries_));
    const bool wait_too_long = failure.retry_after_s >= 0 && std::chrono::seconds(failure.retry_after_s) > retry.max_backoff;
    if (failure.retry_after_s >= 0) delay = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(failure.retry_after_s));
    if (!wait_too_long) {  // longer than max_backoff, the next tier is the better bet
      ++retries_;
      return Step{tier, Move::retry, delay, &last_, tier};
    }
  }
  if (context_length_exceeded(failure)) {
    if (const auto longer = longer_window_than(tier)) {
      // Next: moved up if the plan had it later (a configured fallback), else added.
      tiers_.erase(std::remove(tiers_.begin() + static_cast<std::ptrdiff_t>(at_) + 1, tiers_.end(), *longer), tiers_.end());
      tiers_.insert(tiers_.begin() + static_cast<std::ptrdiff_t>(at_) + 1, *longer);
      return next_tier(Move::longer_window);  // `from`: this tier
    }
  }
  // Only failures of the upstream (or its missing key) move on to a fallback.
  if (!is_retryable(failure) && failure.code != Errc::missing_api_key) return std::nullopt;
  return next_tier(Move::fallback);
}

std::optional<AttemptPlan::Step> AttemptPlan::after_escalation() { return next_tier(Move::escalation); }

std::optional<AttemptPlan::Step> AttemptPlan::next_tier(Move move) {
  if (at_ + 1 >= tiers_.size()) return std::nullopt;
  const auto from = tiers_[at_];
  ++at_;
  retries_ = 0;
  if (move == Move::fallback && tiers_[at_] == chosen_) move = Move::cooled_down_last;
  return Step{tiers_[at_], move, {}, move == Move::escalation ? nullptr : &last_, from};
}

std::optional<std::size_t> AttemptPlan::longer_window_than(std::size_t tier) const {
  // The cheapest tier (by input price) with a longer declared window, not tried yet, whose provider has a key.
  const auto window = config_.tiers[tier].context_tokens;
  if (window <= 0) return std::nullopt;  // no declared window: nothing to compare
  const auto tried_end = tiers_.begin() + static_cast<std::ptrdiff_t>(at_) + 1;
  std::optional<std::size_t> best;
  for (std::size_t t = 0; t < config_.tiers.size(); ++t) {
    const auto& c = config_.tiers[t];
    if (c.context_tokens <= window || std::find(tiers_.begin(), tried_end, t) != tried_end ||
        credentials_.missing(c.provider_index))
      continue;
    if (!best || c.prices.input < config_.tiers[*best].prices.input) best = t;
  }
  return best;
}

}  // namespace fulcrum
