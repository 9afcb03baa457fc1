#include "proxy/chat_completion.h"

#include <charconv>
#include <chrono>
#include <random>

#include <boost/json.hpp>

#include "core/client_text.h"
#include "core/clock.h"
#include "core/trace_context.h"
#include "core/token_estimate.h"
#include "openai/answer_reader.h"
#include "openai/chat_request.h"
#include "openai/error_body.h"
#include "openai/usage.h"
#include "providers/provider_adapter.h"
#include "proxy/attempt_plan.h"
#include "proxy/stream_relay.h"
#include "proxy/whole_answer.h"
#include "routing/features.h"
#include "routing/policy.h"

namespace fulcrum {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxUpstreamBody = 64 * 1024 * 1024;
constexpr std::size_t kMaxUpstreamErrorBody = 1024 * 1024;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string format_ms(double ms) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ms, std::chars_format::fixed, 3);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

// 32 hex digits: the arrival time in milliseconds (12), then 80 random bits.
// Time first, so ids sort by time and the ledger's primary-key index grows
// at its end instead of at random pages.
std::string new_request_id(std::int64_t unix_ms) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id = "req_";
  id.resize(4 + 32);
  const auto put_hex = [&](std::size_t at, int digits, std::uint64_t v) {
    for (int i = digits - 1; i >= 0; --i, v >>= 4) id[at + i] = "0123456789abcdef"[v & 0xf];
  };
  put_hex(4, 12, static_cast<std::uint64_t>(unix_ms));
  put_hex(16, 4, rng());
  put_hex(20, 16, rng());
  return id;
}

// Retry-After in delta-seconds (an HTTP date is rare from APIs: treated as absent). -1 when absent.
int parse_retry_after(std::string_view v) {
  int s = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
  return ec == std::errc() && end == v.data() + v.size() && s >= 0 && !v.empty() ? std::min(s, 86400) : -1;
}

// Header values must be one line of visible ASCII.
std::string header_safe(std::string_view s, std::size_t max = 300) {
  // Copied whole, then mended in place: a loop the compiler vectorises, where
  // a push_back per byte cost ~10 instructions a byte on every response.
  std::string out(s.substr(0, max));
  for (char& c : out)
    if (!(c >= 0x20 && c < 0x7f)) c = ' ';
  return out;
}

// How one upstream call ended: its answer went to the client, the cascade
// discarded it (on to the strong tier), or it failed.
struct AttemptOutcome {
  enum class Kind { delivered, escalated, failed };
  Kind kind = Kind::delivered;
  Error error;  // when failed

  AttemptOutcome() = default;
  AttemptOutcome(Error e) : kind(Kind::failed), error(std::move(e)) {}  // implicit: `co_return error;` fails
  static AttemptOutcome escalate() {
    AttemptOutcome o;
    o.kind = Kind::escalated;
    return o;
  }
};

// One request's journey, from parsed body to the last byte sent.
class ChatCompletion {
 public:
  ChatCompletion(const GatewayState& state, Upstream& upstream, ResponseSink& sink)
      : state_(state), config_(*state.config), upstream_(upstream), sink_(sink), t0_(Clock::now()) {
    record_.unix_ms = unix_ms_now();
    record_.id = new_request_id(record_.unix_ms);
  }

  // Whatever path a request ends on (even a coroutine torn down at shutdown),
  // its reservation is released.
  ~ChatCompletion() { settle(); }

  Task<void> run(const HttpRequest& http_request);

 private:
  // Delivered: the answer (or an error the client already has) went out. Traced: a child span.
  Task<AttemptOutcome> attempt(std::size_t tier, const std::string& upstream_body);
  Task<AttemptOutcome> call_upstream(std::size_t tier, const std::string& upstream_body, std::string extra_headers);
  Task<AttemptOutcome> deliver_whole(std::size_t tier, UpstreamResponse& call);
  Task<AttemptOutcome> deliver_stream(std::size_t tier, UpstreamResponse& call);
  Task<void> fail(const Error& e);
  // Sets the record's tier and reason for the plan's next call.
  void describe(const AttemptPlan::Step& step, std::size_t chosen);
  Task<bool> backoff(std::chrono::milliseconds delay);

  HeaderList base_headers() const;
  // The execution plan: the chosen tier, a cascade's strong tier, then fallbacks (tiers in cooldown last).
  std::vector<std::size_t> plan_for(std::size_t tier) const;
  // What one call to `tier` may cost at most: the prompt (estimated from the
  // body's size, generously) at the input price plus max_tokens (or the key's
  // default) at the output price.
  PicoUsd worst_case(std::size_t tier) const;
  // Holds the worst case of the chosen tier (a cascade's two calls) on the
  // key's budget; with `on_budget: downgrade`, a tier that does not fit becomes
  // the cheapest tier alone. Error: the 429 (or 503).
  Task<std::optional<Error>> reserve_budget(std::size_t& tier, std::vector<std::size_t>& plan);
  // Whether the request's key has a daily budget (checked before the two
  // calls above, which are coroutines: most requests need neither).
  bool budgeted() const { return key_ && key_->daily_budget; }
  // Before each tier is called: holds what its worst case (plus what earlier
  // attempts were billed) exceeds the hold by. Error: the 429.
  Task<std::optional<Error>> cover(std::size_t tier);
  std::string worst_case_why(std::size_t tier) const;
  std::int64_t max_tokens() const;
  // A billed call whose usage never came (cut off, timed out): its prompt, estimated.
  void account_cut_off(std::size_t tier);
  PicoUsd account(std::size_t tier, const Usage& usage);
  // Once, before the last bytes go out (a client that has its answer may send
  // the next request at once, to any thread or replica): charges the key's
  // budget and limits with the request's final cost, and tells the feedback
  // store to expect feedback on it.
  // With a remote store (the call sites check, so that a request on the
  // in-process store makes no coroutine frame for it):
  Task<void> settle_before_reply();
  // The same, in place with the in-process store; and where the request cannot
  // wait (it ends, or is torn down): a remote store's charge is then made
  // without waiting for it.
  void settle();
  // Marks the request settled and tells the feedback store; true when the
  // key's charges are still to be made (charge() makes them).
  bool begin_settle();
  auto charge() const {
    return [admission = state_.admission.get(), key = key_, reservation = reservation_, estimate = prompt_estimate_,
            used = record_.usage.prompt_tokens + record_.usage.completion_tokens, cost = record_.cost,
            at = record_.unix_ms] { admission->settle(*key, reservation, estimate, used, cost, at); };
  }
  void finish(int status);

  // A call on the state store, awaited (see call_store). It may read this
  // request's members: the request waits for it.
  template <class Call>
  Task<std::invoke_result_t<Call&>> on_store(Call call) {
    return call_store(state_, std::move(call));
  }
  // A call on the state store, not awaited (the request may end first): it
  // must own what it reads; the state it runs against is kept alive for it.
  template <class Call>
  void store_later(Call call) const {
    if (!state_.store_calls) return call();
    net::post(*state_.store_calls, [keep = state_.weak_from_this().lock(), call = std::move(call)]() mutable { call(); });
  }

  const GatewayState& state_;
  const Config& config_;
  Upstream& upstream_;
  ResponseSink& sink_;
  AbortHandle abort_;
  Clock::time_point t0_;
  Clock::duration upstream_wait_{0};
  Clock::time_point attempt_started_;
  int upstream_status_ = 0;        // of the latest attempt; 0 until an upstream answered
  std::string forwarded_trace_;    // not tracing: the client's traceparent/tracestate lines, passed on
  std::optional<ChatRequest> request_;  // emplaced, never assigned: keeps its JSON arena
  RequestRecord record_;
  std::string reason_;
  // Confidence cascade: set when the router chose one for this request.
  std::optional<CascadePlan> cascade_;
  bool escalated_ = false;
  std::optional<StickyRoutes::Keys> sticky_keys_;  // routed requests, with router.sticky on
  bool client_asked_logprobs_ = false;
  const ApiKey* key_ = nullptr;          // the gateway key, when keys are configured
  std::int64_t prompt_estimate_ = 0;     // counted against the key's tokens/min up front
  std::optional<std::string> cache_key_; // set: the answer may come from / go to the cache
  std::size_t cache_tier_ = 0;           // the tier the cache key names: only its own answers are stored
  BudgetReservation reservation_;        // held on the key's daily budget until settled
  std::int64_t body_bytes_ = 0;           // the request body's size: its prompt's worst case
  bool settled_ = false;

  bool gated(std::size_t tier) const { return cascade_ && tier == cascade_->cheap && !escalated_; }
  // Records the cascade's verdict in the reason; true when the answer must be discarded.
  bool judge(std::optional<double> confidence);
};

bool ChatCompletion::judge(std::optional<double> confidence) {
  const auto& strong = config_.tiers[cascade_->strong].name;
  const auto& cheap = config_.tiers[cascade_->cheap].name;
  bool escalate;
  if (!confidence) {
    escalate = cascade_->escalate_on_missing;
    reason_ += escalate ? "; no logprobs: escalated to " + strong : "; no logprobs: kept " + cheap;
  } else {
    escalate = *confidence < cascade_->threshold;
    reason_ += "; confidence " + fmt(*confidence) + (escalate ? " < " : " >= ") + fmt(cascade_->threshold) +
               (escalate ? ": escalated to " + strong : ": kept " + cheap);
  }
  record_.reason = reason_;
  escalated_ = escalate;
  record_.escalated = escalate;
  return escalate;
}

HeaderList ChatCompletion::base_headers() const {
  HeaderList h;
  h.reserve(8);  // these six and the two a whole answer adds (cost, estimated)
  h.emplace_back("x-fulcrum-request-id", record_.id);
  if (!record_.tier.empty()) {  // a request rejected before routing has neither
    h.emplace_back("x-fulcrum-tier", record_.tier);
    h.emplace_back("x-fulcrum-reason", header_safe(record_.reason));
  }
  const double overhead = ms_between(t0_, Clock::now()) - std::chrono::duration<double, std::milli>(upstream_wait_).count();
  h.emplace_back("x-fulcrum-overhead-ms", format_ms(overhead));
  if (cascade_) h.emplace_back("x-fulcrum-escalated", escalated_ ? "true" : "false");
  if (cache_key_) h.emplace_back("x-fulcrum-cache", record_.cache_hit ? "hit" : "miss");
  return h;
}

PicoUsd ChatCompletion::account(std::size_t tier, const Usage& usage) {
  const auto cost = price_usage(usage, config_.tiers[tier].prices_at(utc_minute_now())).total();
  // Reported counts teach the router this tier's characters per token.
  if (!usage.estimated && state_.stats)
    state_.stats->record_prompt(tier, request_->prompt_size(), usage.prompt_tokens);
  record_.usage += usage;
  record_.answer_usage = usage;
  record_.cost += cost;
  return cost;
}

void ChatCompletion::account_cut_off(std::size_t tier) {
  Usage usage;
  usage.prompt_tokens = usage.cache_miss_tokens = estimate_tokens(request_->prompt_text());
  usage.estimated = true;
  account(tier, usage);
}

bool ChatCompletion::begin_settle() {
  if (settled_) return false;
  settled_ = true;
  if (state_.feedback && !record_.tier.empty()) state_.feedback->expect(record_.id, FeedbackTarget{record_.tier, record_.key});
  return key_ != nullptr;
}

void ChatCompletion::settle() {
  if (begin_settle()) store_later(charge());
}

Task<void> ChatCompletion::settle_before_reply() {
  if (begin_settle()) co_await on_store(charge());
}

std::int64_t ChatCompletion::max_tokens() const {
  if (const auto asked = requested_max_tokens(*request_)) return asked;
  return key_ ? key_->default_max_tokens : 0;
}

std::vector<std::size_t> ChatCompletion::plan_for(std::size_t tier) const {
  std::vector<std::size_t> plan{tier};
  if (cascade_) plan.push_back(cascade_->strong);
  // Fallbacks chain: a fallback's own fallbacks follow it (flash -> pro -> pro-max), each tier once.
  // A fallback whose provider has no key would only fail the same way: it is left out.
  for (std::size_t i = 0; i < plan.size(); ++i)
    for (auto f : config_.tiers[plan[i]].fallback_indices)
      if (std::find(plan.begin(), plan.end(), f) == plan.end() &&
          !state_.credentials.missing(config_.tiers[f].provider_index))
        plan.push_back(f);
  const auto now = Clock::now();
  std::stable_partition(plan.begin(), plan.end(), [&](std::size_t t) { return !state_.health->in_cooldown(t, now); });
  return plan;
}

PicoUsd ChatCompletion::worst_case(std::size_t tier) const {
  Usage u;
  u.prompt_tokens = u.cache_miss_tokens = (body_bytes_ + 2) / 3;  // every byte of the body, 3 to a token
  u.completion_tokens = max_tokens();
  return price_usage(u, config_.tiers[tier].prices_at(utc_minute_now())).total();
}

std::string ChatCompletion::worst_case_why(std::size_t tier) const {
  return "tier " + config_.tiers[tier].name + ", at most about " + std::to_string((body_bytes_ + 2) / 3) +
         " prompt tokens and max_tokens " + std::to_string(max_tokens());
}

Task<std::optional<Error>> ChatCompletion::reserve_budget(std::size_t& tier, std::vector<std::size_t>& plan) {
  if (!key_ || !key_->daily_budget) co_return std::nullopt;
  const PicoUsd need = cascade_ ? worst_case(cascade_->cheap) + worst_case(cascade_->strong) : worst_case(tier);
  auto hold = [&, why = worst_case_why(tier)] { return state_.admission->reserve(*key_, need, record_.unix_ms, why); };
  auto held = co_await on_store(hold);
  if (held) {
    reservation_ = *held;
    co_return std::nullopt;
  }
  if (held.error().code != Errc::budget_exceeded || !key_->downgrade_on_budget) co_return held.error();
  // The tier whose worst case is cheapest, alone: no cascade, no fallback that costs more.
  std::size_t cheapest = tier;
  for (std::size_t t = 0; t < config_.tiers.size(); ++t)
    if (worst_case(t) < worst_case(cheapest)) cheapest = t;
  auto hold_cheapest = [&, why = worst_case_why(cheapest)] {
    return state_.admission->reserve(*key_, worst_case(cheapest), record_.unix_ms, why);
  };
  auto again = co_await on_store(hold_cheapest);
  if (!again) co_return again.error();
  reservation_ = *again;
  reason_ += "; budget: downgraded from " + config_.tiers[tier].name + " to " + config_.tiers[cheapest].name +
             " (its worst case fits what is left of key " + key_->name + "'s daily budget)";
  cascade_.reset();
  tier = cheapest;
  plan = {cheapest};
  co_return std::nullopt;
}

Task<std::optional<Error>> ChatCompletion::cover(std::size_t tier) {
  if (!key_ || !key_->daily_budget || escalated_) co_return std::nullopt;  // a cascade's strong call is held already
  // What earlier attempts were billed stays paid: the hold must cover it and this tier's worst case.
  const PicoUsd more = record_.cost + worst_case(tier) - reservation_.amount;
  if (more <= 0) co_return std::nullopt;
  auto hold = [&, why = worst_case_why(tier)] { return state_.admission->reserve(*key_, more, record_.unix_ms, why); };
  auto held = co_await on_store(hold);
  if (!held) co_return held.error();
  reservation_.amount += held->amount;
  co_return std::nullopt;
}

void ChatCompletion::finish(int status) {
  const auto now = Clock::now();
  // Routed requests only: a prompt refused before routing teaches the router
  // nothing. What is kept is what the router read (router.prompt's roles, a
  // long prompt's head and tail), so that `fulcrum train --ledger` learns
  // from the text it will be routing on, not from answers and tool output.
  if (config_.ledger.capture_prompts && request_ && !record_.tier.empty())
    record_.prompt = clip_utf8(FeatureExtractor::prompt_sample(*request_, config_.router.prompt).text,
                               config_.ledger.capture_max_chars);
  record_.status = status;
  record_.total_ms = ms_between(t0_, now);
  for (auto& span : record_.upstream_attempts)  // the attempt that answered ends with the request
    if (!span.end_unix_ns) {
      span.end_unix_ns = unix_ns_now();
      span.status = upstream_status_;
    }
  record_.overhead_ms = record_.total_ms - std::chrono::duration<double, std::milli>(upstream_wait_).count();
  settle();
  // The tier that answered is the one the conversation's next turns keep.
  if (status == 200 && sticky_keys_ && !record_.cache_hit)
    store_later([sticky = state_.sticky.get(), keys = *sticky_keys_, tier = record_.tier] { sticky->remember(keys, tier); });
  if (state_.observer) state_.observer->on_request_done(record_);
}

Task<void> ChatCompletion::fail(const Error& e) {
  record_.error = e.code == Errc::client_closed ? sink_.why_gone() : e.message;
  const auto http_error = to_http_error(e);
  if (e.code != Errc::client_closed) {
    if (state_.store_calls) co_await settle_before_reply();
    else settle();
    auto headers = base_headers();
    if (http_error.retry_after_s >= 0) headers.emplace_back("retry-after", std::to_string(http_error.retry_after_s));
    co_await sink_.send(http_error.status, std::move(headers), http_error.body, http_error.content_type);
  }
  finish(e.code == Errc::client_closed ? 499 : http_error.status);
}

Task<bool> ChatCompletion::backoff(std::chrono::milliseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  abort_.on_abort([&timer] { timer.cancel(); });
  const auto started = Clock::now();
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  upstream_wait_ += Clock::now() - started;  // waiting on the upstream's behalf is not gateway overhead
  abort_.clear();
  co_return !abort_.aborted();
}

Task<void> ChatCompletion::run(const HttpRequest& http_request) {
  if (const auto& traces = config_.observability.traces; traces.enabled()) {
    record_.trace = start_trace(http_request.header("traceparent"), http_request.header("tracestate"), traces.sample_ratio);
  } else if (auto client = parse_traceparent(http_request.header("traceparent"))) {
    // Not tracing: the client's context still reaches the upstream, as a proxy should pass it.
    forwarded_trace_ = "traceparent: " + std::string(http_request.header("traceparent")) + "\r\n";
    if (const auto state = http_request.header("tracestate");
        !state.empty() && state.size() <= 512 && state.find_first_of("\r\n") == std::string_view::npos)
      forwarded_trace_ += "tracestate: " + std::string(state) + "\r\n";
  }
  if (state_.admission) {
    auto key = state_.admission->authenticate(http_request.header("authorization"));
    if (!key) {
      const auto e = key.error();
      co_await fail(e);
      co_return;
    }
    key_ = key.value();
    record_.key = key_->name;
  }
  auto parsed = parse_chat_request(http_request.body);
  if (!parsed) { co_await fail(parsed.error()); co_return; }
  request_.emplace(std::move(parsed.value()));
  if (key_) {
    prompt_estimate_ = (request_->prompt_size() + 3) / 4;
    auto admit = [&] { return state_.admission->admit(*key_, prompt_estimate_, record_.unix_ms); };
    auto admitted = co_await on_store(admit);
    if (!admitted) {
      prompt_estimate_ = 0;  // not counted: nothing to settle
      const auto e = admitted.error();
      co_await fail(e);
      co_return;
    }
  }
  record_.stream = request_->stream;
  record_.model_requested = clip_client_text(request_->model.value_or(""));

  // Explicit tier, or the router for "auto", no model, and aliases.
  // The router for "auto", no model and routed aliases; else the tier the name stands for.
  const auto target = config_.resolve_model(request_->model);
  if (!target) {
    const auto e = make_error(Errc::unknown_model,
        "The model '" + record_.model_requested + "' does not exist on this gateway. Valid models: " +
            config_.valid_models(), "model");
    co_await fail(e);
    co_return;
  }
  std::size_t tier = 0;
  if (!target->tier) {
    // The conversation's previous turn, if the store remembers its tier: a
    // sticky turn keeps it (budgets still apply); any other is routed knowing
    // that tier holds the cached prefix.
    std::optional<StickyRoutes::Previous> previous;
    if (state_.sticky) {
      sticky_keys_ = StickyRoutes::keys(*request_, key_ ? key_->name : std::string_view());
      auto look_up = [&] { return state_.sticky->previous(*sticky_keys_); };
      previous = co_await on_store(look_up);
    }
    const auto previous_tier = previous ? config_.tier_index(previous->tier) : std::nullopt;  // gone since a reload: none
    if (previous_tier && previous->keep) {
      tier = *previous_tier;
      reason_ = config_.router.sticky == StickyMode::tool_loops
                    ? "sticky: the tool loop stays on " + config_.tiers[tier].name + ", which made its tool calls"
                    : "sticky: the conversation stays on " + config_.tiers[tier].name + ", as its previous turn";
    } else {
      RouteInput in{*request_, http_request.header, record_.id};
      if (previous_tier) {
        in.previous_tier = previous_tier;
        in.cached_prefix_tokens = state_.stats ? state_.stats->estimate_tokens(*previous_tier, previous->prefix_chars)
                                               : (previous->prefix_chars + 3) / 4;
      }
      auto decision = state_.router->route(in);
      if (!decision) {
        co_await fail(decision.error());
        co_return;
      }
      tier = decision->tier_index;
      reason_ = std::move(decision->reason);
      cascade_ = decision->cascade;
    }
  } else {
    tier = *target->tier;
    reason_ = target->reason;
  }

  if (state_.cache) {
    // Scoped to the key: one tenant's answers are never another's.
    cache_key_ = state_.cache->key_for(*request_, key_ ? key_->name : std::string_view(), config_.tiers[tier].name,
                                       http_request.header);
    cache_tier_ = tier;
    if (cache_key_) {
      auto look_up = [&] { return state_.cache->get(*cache_key_); };
      if (auto hit = co_await on_store(look_up)) {
        record_.cache_hit = true;
        record_.tier = config_.tiers[tier].name;
        record_.upstream_model = config_.tiers[tier].model;
        record_.reason = reason_ + "; answered from the cache";
        auto headers = base_headers();
        headers.emplace_back("x-fulcrum-cost-usd", "0");
        record_.ttfb_ms = ms_between(t0_, Clock::now());
        std::string body = std::move(*hit);
        const std::string_view json_type = "application/json";  // no literal inside co_await (g++ 12)
        if (state_.store_calls) co_await settle_before_reply();
        else settle();
        co_await sink_.send(200, std::move(headers), std::move(body), json_type);
        finish(200);
        co_return;
      }
    }
  }

  auto plan = plan_for(tier);
  body_bytes_ = static_cast<std::int64_t>(http_request.body.size());
  std::optional<Error> refused;
  if (budgeted()) refused = co_await reserve_budget(tier, plan);
  if (refused) {
    record_.tier = config_.tiers[tier].name;
    record_.reason = reason_;
    co_await fail(*refused);
    co_return;
  }
  if (auto lp = request_->body.find("logprobs"); lp != request_->body.end())
    client_asked_logprobs_ = lp->value().is_bool() && lp->value().get_bool();

  sink_.watch_client_close([this] { abort_.abort(); });
  AttemptPlan attempts(config_, state_.credentials, tier, std::move(plan));
  std::optional<AttemptPlan::Step> step = attempts.first();
  std::optional<Error> last;
  std::string upstream_body;
  while (step) {
    const auto t = step->tier;
    if (step->move != AttemptPlan::Move::retry) {
      describe(*step, tier);
      std::optional<Error> uncovered;
      if (budgeted() && !escalated_) uncovered = co_await cover(t);  // a fallback to a dearer tier must fit too
      if (uncovered) {
        last = std::move(uncovered);
        break;
      }
      std::size_t history_fixes = 0;
      upstream_body = build_upstream_body(*request_, config_.tiers[t], gated(t), &history_fixes);  // once per tier
      if (history_fixes)
        record_.reason += "; history: empty reasoning_content given to " + std::to_string(history_fixes) +
                          " tool-call turn(s), as " + config_.tiers[t].name + "'s thinking mode requires";
    }
    if (step->delay.count() > 0 && !co_await backoff(step->delay)) {
      const auto e = make_error(Errc::client_closed, "the client closed the connection");
      co_await fail(e);
      co_return;
    }
    ++record_.attempts;
    auto outcome = co_await attempt(t, upstream_body);
    switch (outcome.kind) {
      case AttemptOutcome::Kind::delivered:
        state_.health->record_success(t);
        sink_.stop_watching();
        co_return;
      case AttemptOutcome::Kind::escalated:
        last.reset();
        step = attempts.after_escalation();
        break;
      case AttemptOutcome::Kind::failed:
        if (outcome.error.code == Errc::client_closed) {
          co_await fail(outcome.error);
          co_return;
        }
        if (is_retryable(outcome.error)) state_.health->record_failure(t, Clock::now());
        last = std::move(outcome.error);
        step = attempts.after_failure(*last);
        break;
    }
  }
  if (!last) last = make_error(Errc::internal, "the cascade escalated but no strong tier answered");
  sink_.stop_watching();
  co_await fail(*last);
}

void ChatCompletion::describe(const AttemptPlan::Step& step, std::size_t chosen) {
  const auto& t = config_.tiers[step.tier];
  record_.tier = t.name;
  record_.upstream_model = t.model;
  record_.reason = reason_;
  switch (step.move) {
    case AttemptPlan::Move::first:
    case AttemptPlan::Move::retry:
    case AttemptPlan::Move::escalation:  // the cascade's own verdict is the reason
      break;
    case AttemptPlan::Move::fallback:
      record_.fell_back = true;
      record_.reason += "; fell back to " + t.name + " after: " +
                        (step.after ? step.after->message : config_.tiers[chosen].name + " is cooling down");
      break;
    case AttemptPlan::Move::cooled_down_last:
      record_.reason += "; tried last (cooling down) after: " + step.after->message;
      break;
    case AttemptPlan::Move::longer_window:
      record_.fell_back = true;
      record_.reason += "; " + config_.tiers[step.from].name + "'s context window was too small (upstream " +
                        std::to_string(step.after->upstream_status) + "): moved to " + t.name;
      break;
  }
}

Task<AttemptOutcome> ChatCompletion::attempt(std::size_t tier, const std::string& upstream_body) {
  const auto& trace = record_.trace;
  if (!trace.traced()) co_return co_await call_upstream(tier, upstream_body, forwarded_trace_);
  const auto& t = config_.tiers[tier];
  const auto span_id = new_span_id();
  std::string headers = "traceparent: " + format_traceparent(trace.trace_id, span_id, trace.sampled) + "\r\n";
  if (!trace.tracestate.empty()) headers += "tracestate: " + trace.tracestate + "\r\n";
  // Kept before the call: an answer delivered ends the request (finish() closes the span) before this returns.
  const auto index = record_.upstream_attempts.size();
  if (trace.sampled)
    record_.upstream_attempts.push_back(
        UpstreamAttempt{span_id, t.name, config_.providers[t.provider_index].name, t.model, unix_ns_now(), 0, 0, {}});
  upstream_status_ = 0;
  auto outcome = co_await call_upstream(tier, upstream_body, std::move(headers));
  if (trace.sampled) {
    auto& span = record_.upstream_attempts[index];
    if (!span.end_unix_ns) {
      span.end_unix_ns = unix_ns_now();
      span.status = upstream_status_;
    }
    if (outcome.kind == AttemptOutcome::Kind::failed) span.error = outcome.error.message;
    if (outcome.kind == AttemptOutcome::Kind::escalated) span.error = "escalated: the answer was not confident";
  }
  co_return outcome;
}

Task<AttemptOutcome> ChatCompletion::call_upstream(std::size_t tier, const std::string& upstream_body,
                                                         std::string extra_headers) {
  const auto& t = config_.tiers[tier];
  const auto& provider = config_.providers[t.provider_index];
  if (state_.credentials.missing(t.provider_index)) {
    co_return make_error(Errc::missing_api_key,
        "provider '" + provider.name + "' (tier " + t.name + ") has no API key: set the environment variable " +
        provider.api_key_env + " and restart fulcrum");
  }
  const auto& adapter = adapter_for(provider);
  auto req = adapter.encode(provider, upstream_body, state_.credentials.key(t.provider_index), t.max_output_tokens);
  if (!req) co_return std::move(req).error();
  req->expect_event_stream = request_->stream;
  req->extra_headers += extra_headers;

  const auto started = Clock::now();
  attempt_started_ = started;
  auto call = co_await upstream_.start(provider, *req, abort_);
  upstream_wait_ += Clock::now() - started;
  if (!call) co_return std::move(call).error();

  const int status = call.value()->status();
  upstream_status_ = status;
  if (status < 200 || status >= 300) {
    const auto body_started = Clock::now();
    auto body = co_await call.value()->read_body(kMaxUpstreamErrorBody);
    upstream_wait_ += Clock::now() - body_started;
    Error e = make_error(Errc::upstream_status,
        "provider '" + provider.name + "' answered HTTP " + std::to_string(status) + " for tier " + t.name);
    e.upstream_status = status;
    if (body) e.upstream_body = adapter.error_body(std::move(body.value()));
    e.upstream_content_type = std::string(call.value()->header("content-type"));
    e.retry_after_s = parse_retry_after(call.value()->header("retry-after"));
    co_return e;
  }
  auto answer = adapter.decode(std::move(call.value()));
  if (request_->stream && answer->is_event_stream()) co_return co_await deliver_stream(tier, *answer);
  co_return co_await deliver_whole(tier, *answer);
}

Task<AttemptOutcome> ChatCompletion::deliver_whole(std::size_t tier, UpstreamResponse& call) {
  const auto started = Clock::now();
  auto body = co_await call.read_body(kMaxUpstreamBody);
  upstream_wait_ += Clock::now() - started;
  if (!body) {
    account_cut_off(tier);  // the upstream took the request and began its answer: it bills the prompt
    co_return std::move(body).error();
  }

  // Logprobs are read only for a cascade's verdict, and only as many as it weighs.
  const std::size_t logprobs_wanted = gated(tier) ? static_cast<std::size_t>(cascade_->tokens) : 0;
  const auto answer = read_answer(body.value(), AnswerPart::message, logprobs_wanted);
  if (!answer || request_->stream) {
    account_cut_off(tier);  // a 2xx: the upstream took the request, and it bills the prompt
    // A stream was asked for and plain JSON came back (or the JSON is broken):
    // the client could not use it as it is.
    co_return make_error(Errc::upstream_bad_response,
        answer ? "provider answered JSON where an event stream was requested"
               : "provider answered a 2xx response whose body is not a JSON object");
  }
  Usage usage;
  if (answer->usage) {
    usage = *answer->usage;
  } else {
    usage.prompt_tokens = usage.cache_miss_tokens = estimate_tokens(request_->prompt_text());
    usage.completion_tokens = estimate_tokens_of(answer->answer_code_points);
    usage.estimated = true;
  }
  if (!answer->has_choices) {
    account(tier, usage);  // a 2xx is billed, whatever its body holds
    co_return make_error(Errc::upstream_bad_response, "provider answered a 2xx response without a choices array");
  }
  if (gated(tier)) {
    if (judge(cascade_confidence(*cascade_, answer->logprobs))) {
      account(tier, usage);  // the discarded answer was still paid for
      co_return AttemptOutcome::escalate();
    }
    if (!client_asked_logprobs_) body.value() = without_logprobs(body.value());  // fulcrum asked for them, not the client
  }
  account(tier, usage);
  // The request's whole cost, as the ledger and the metrics count it: a discarded
  // cascade answer and attempts cut short are paid for too.
  auto headers = base_headers();
  headers.emplace_back("x-fulcrum-cost-usd", format_usd(record_.cost));
  if (record_.usage.estimated) headers.emplace_back("x-fulcrum-cost-estimated", "true");
  record_.ttfb_ms = ms_between(t0_, Clock::now());
  // Hoisted: g++ 12 destroys ?: temporaries inside a co_await expression twice.
  std::string content_type(call.header("content-type"));
  if (content_type.empty()) content_type = "application/json";
  // Stored before the answer is sent: once the client has it, the same request
  // (on any thread) must find it, and a paid-for answer is worth keeping even
  // if this client went away meanwhile.
  // Only the answer of the tier the key names: a fallback's or an escalation's is not that tier's.
  if (cache_key_ && tier == cache_tier_ && !escalated_) {
    auto store = [&] { state_.cache->put(*cache_key_, body.value()); };
    co_await on_store(store);
  }
  if (state_.store_calls) co_await settle_before_reply();
  else settle();
  co_await sink_.send(200, std::move(headers), std::move(body.value()), content_type);
  finish(200);
  co_return AttemptOutcome{};
}

Task<AttemptOutcome> ChatCompletion::deliver_stream(std::size_t tier, UpstreamResponse& call) {
  // A gated (cascade) stream holds its first events until the confidence
  // verdict: then they are released, or the call is dropped and escalated.
  bool held = gated(tier);
  const std::size_t needed = held && cascade_->signal != CascadePlan::Signal::first_token
                                 ? static_cast<std::size_t>(cascade_->tokens) : 1;
  if (!held) {
    if (!co_await sink_.begin_stream(200, base_headers(), "text/event-stream")) {
      call.abort();
      co_return make_error(Errc::client_closed, "the client closed the connection");
    }
    record_.ttfb_ms = ms_between(t0_, Clock::now());
  }
  StreamAccounting relay(request_->client_wants_usage, held);  // a held stream is judged on its logprobs
  bool costed = false;
  auto cost_comment = [&]() -> std::string {
    Usage usage = relay.usage();
    if (!relay.saw_usage()) {
      usage.prompt_tokens = usage.cache_miss_tokens = estimate_tokens(request_->prompt_text());
      usage.completion_tokens = estimate_tokens_of(relay.answer_code_points());
      usage.estimated = true;
    }
    account(tier, usage);
    costed = true;
    // The request's totals, as the ledger records them (every billed call of it).
    const auto& total = record_.usage;
    boost::json::object o;
    o["request_id"] = record_.id;
    o["tier"] = record_.tier;
    o["cost_usd"] = format_usd(record_.cost);
    o["estimated"] = total.estimated;
    o["prompt_tokens"] = total.prompt_tokens;
    o["prompt_cache_hit_tokens"] = total.cache_hit_tokens;
    o["completion_tokens"] = total.completion_tokens;
    o["reasoning_tokens"] = total.reasoning_tokens;
    return ": fulcrum-cost " + boost::json::serialize(o) + "\n\n";
  };

  std::string in, out;
  std::optional<Error> broken;
  bool saw_first_bytes = false;  // the first body bytes mark the tier's time to first token
  for (;;) {
    in.clear();
    const auto read_started = Clock::now();
    auto more = co_await call.read_some(in);
    upstream_wait_ += Clock::now() - read_started;
    if (!saw_first_bytes && more && !in.empty()) {
      saw_first_bytes = true;
      if (state_.stats) state_.stats->record_ttft(tier, ms_between(attempt_started_, Clock::now()));
    }
    if (!more) {
      broken = std::move(more).error();
      break;
    }
    relay.feed(in, out, cost_comment);
    if (relay.overflowed()) {
      broken = make_error(Errc::upstream_bad_response, "the upstream sent an SSE event larger than 16 MiB");
      call.abort();
      break;
    }
    if (!more.value()) relay.finish(out, cost_comment);
    if (held) {
      if (relay.logprobs().size() < needed && more.value()) continue;  // keep holding
      if (judge(cascade_confidence(*cascade_, relay.logprobs()))) {
        call.abort();
        if (!costed) cost_comment();  // the discarded part was still paid for (estimated if cut)
        co_return AttemptOutcome::escalate();
      }
      held = false;
      relay.stop_reading_logprobs();  // judged: the rest of the stream is relayed as any other
      if (!co_await sink_.begin_stream(200, base_headers(), "text/event-stream")) {
        call.abort();
        co_return make_error(Errc::client_closed, "the client closed the connection");
      }
      record_.ttfb_ms = ms_between(t0_, Clock::now());
    }
    if (!more.value()) break;  // `out` holds the answer's end: it goes out with the stream's end
    if (!out.empty() && !co_await sink_.write(out)) {
      call.abort();
      broken = make_error(Errc::client_closed, "the client closed the connection");
      break;
    }
    out.clear();
  }

  if (held && broken) {  // nothing was sent: the error can still be retried, but what came was billed
    if (!costed) cost_comment();
    co_return std::move(*broken);
  }
  int status = 200;
  if (!costed) out.append(cost_comment());  // stream ended without [DONE]
  if (broken && broken->code != Errc::client_closed) {
    // Headers are gone: the error becomes a final SSE event.
    status = to_http_error(*broken).status;
    record_.error = broken->message;
    out += "data: " + openai_error_json(*broken) + "\n\n";
  }
  if (state_.store_calls) co_await settle_before_reply();  // before the last bytes go out
  else settle();
  if (!broken || broken->code != Errc::client_closed) {
    co_await sink_.end_stream(out);
  } else {
    status = 499;
    record_.error = sink_.why_gone();
  }
  finish(status);
  co_return AttemptOutcome{};
}

}  // namespace

Task<void> serve_chat_completion(const GatewayState& state, Upstream& upstream,
                                 const HttpRequest& request, ResponseSink& sink) {
  ChatCompletion c(state, upstream, sink);
  co_await c.run(request);
}

}  // namespace fulcrum
