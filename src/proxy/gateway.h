#pragma once
// The gateway's request handler: one per worker thread, answering
// /v1/chat/completions, /v1/models, /healthz and /readyz.
//
// Shared, immutable across threads: GatewayState (config, credentials,
// router; TierHealth is internally atomic). Per thread: the upstream client
// and its connection pools.
#include <atomic>
#include <memory>
#include <optional>

#include "config/config.h"
#include "http/exchange.h"
#include "http/run_elsewhere.h"
#include "http/upstream_client.h"
#include "providers/credentials.h"
#include "providers/tier_health.h"
#include "providers/tier_stats.h"
#include "accounting/request_record.h"
#include "routing/router.h"
#include "state/admission.h"
#include "state/response_cache.h"
#include "state/sticky_routes.h"

namespace fulcrum {

struct GatewayState : std::enable_shared_from_this<GatewayState> {
  ConfigPtr config;
  Credentials credentials;
  std::unique_ptr<Router> router;
  std::unique_ptr<TierHealth> health;
  std::unique_ptr<TierStats> stats;     // declared before use by the router; outlives it
  RequestObserver* observer = nullptr;  // may be null
  FeedbackStore* feedback = nullptr;    // the ledger; null: /v1/feedback answers 503
  MetricsSink* metrics = nullptr;       // null: /metrics answers 404
  std::unique_ptr<Admission> admission;  // gateway keys, budgets, rate limits; null (no keys): open gateway
  std::unique_ptr<ResponseCache> cache;  // null: no response cache
  std::unique_ptr<StickyRoutes> sticky;  // null: router.sticky off (or no state store)
  // Set when the state store is remote (Redis): where calls on it run, so that
  // an event loop, which every request on its worker shares, never waits on a
  // round trip. Unset: calls run in place (the in-process store is a map).
  std::optional<net::any_io_executor> store_calls;
  DashboardView* dashboard = nullptr;  // null (no ledger): /dashboard answers 404
};

// A call on the state store, awaited: on GatewayState::store_calls when the
// store is remote, else in place.
template <class Call>
Task<std::invoke_result_t<Call&>> call_store(const GatewayState& state, Call call) {
  if (!state.store_calls) co_return call();
  if constexpr (std::is_void_v<std::invoke_result_t<Call&>>) {
    auto done = [call = std::move(call)]() mutable {
      call();
      return true;
    };
    co_await run_elsewhere(*state.store_calls, std::move(done));
  } else {
    co_return co_await run_elsewhere(*state.store_calls, std::move(call));
  }
}

// The current GatewayState, swapped whole on a config reload. A request
// takes the state once, at its start, and keeps it to its end, so a reload
// never changes the config under a request in flight; the old state is freed
// when its last request ends.
class GatewayStateSlot {
 public:
  explicit GatewayStateSlot(std::shared_ptr<const GatewayState> s) : current_(std::move(s)) {}
  std::shared_ptr<const GatewayState> get() const { return current_.load(std::memory_order_acquire); }
  void set(std::shared_ptr<const GatewayState> s) { current_.store(std::move(s), std::memory_order_release); }
  std::atomic<int> in_flight{0};  // requests being handled (graceful shutdown waits on it)

 private:
  std::atomic<std::shared_ptr<const GatewayState>> current_;
};

class Gateway final : public RequestHandler {
 public:
  // `ex`: the worker's event loop. `lookups`: where calls that may wait on the
  // ledger's database run (feedback's lookups), so that the event loop, which
  // every other request on this worker shares, never waits on a disk or a
  // PostgreSQL round trip.
  Gateway(std::shared_ptr<GatewayStateSlot> slot, net::any_io_executor ex, net::any_io_executor lookups);

  Task<void> handle(const HttpRequest& request, ResponseSink& sink) override;
  std::pair<int, std::string> reject(int status, std::string_view why) override;

  UpstreamClient& upstream() { return upstream_; }

 private:
  Task<void> dispatch(const GatewayState& state, const HttpRequest& request, ResponseSink& sink);
  Task<void> send_error(ResponseSink& sink, const Error& e, HeaderList headers = {});
  Task<void> models(const GatewayState& state, ResponseSink& sink);
  Task<void> readiness(const GatewayState& state, ResponseSink& sink);
  Task<void> feedback(const GatewayState& state, const HttpRequest& request, ResponseSink& sink);
  // Whether the caller may read /metrics and /dashboard* (ObservabilityConfig).
  bool may_observe(const GatewayState& state, const HttpRequest& request) const;

  std::shared_ptr<GatewayStateSlot> slot_;
  UpstreamClient upstream_;
  net::any_io_executor lookups_;
};

}  // namespace fulcrum
