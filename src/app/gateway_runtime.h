#pragma once
// The running gateway: N worker threads, each with its own io_context,
// HTTP server (all bound to one port with SO_REUSEPORT) and Gateway handler
// (own upstream connection pools). Used by `fulcrum serve` and, in-process,
// by the integration tests.
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "config/config.h"
#include "core/result.h"
#include "accounting/request_record.h"

namespace fulcrum {

struct GatewayState;
class StateStore;
struct StoreHealth;
class DashboardData;
class GatewayStateSlot;

// What the gateway reports to and consults, besides its config.
struct GatewayServices {
  RequestObserver* observer = nullptr;  // access log, ledger, metrics
  FeedbackStore* feedback = nullptr;    // POST /v1/feedback
  MetricsSink* metrics = nullptr;       // GET /metrics
  StateStore* store = nullptr;          // budgets, rate limits, cache (null: none of them)
  StoreHealth* store_health = nullptr;  // with `store`
  DashboardData* dashboard = nullptr;
  // router.sticky's memory of conversations: `store` itself with Redis (so
  // replicas agree); in-process, a store of its own, so that one entry per
  // routed request never evicts cached answers. Null: no memory.
  StateStore* conversations = nullptr;
};

class GatewayRuntime {
 public:
  // Every service (each may be null) must outlive the runtime and be thread-safe.
  GatewayRuntime(ConfigPtr config, GatewayServices services);
  GatewayRuntime(ConfigPtr config, RequestObserver* observer) : GatewayRuntime(std::move(config), GatewayServices{observer}) {}
  ~GatewayRuntime();

  // Binds the listen address and starts the worker threads.
  Status start();
  std::uint16_t port() const { return port_; }
  int threads() const { return static_cast<int>(workers_.size()); }
  // Start-up warnings (e.g. unset API key variables), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Blocks until SIGINT or SIGTERM, then drains and stops. On SIGHUP it calls
  // `on_reload` (if set) and keeps going.
  void wait_for_signal(const std::function<void()>& on_reload = {});
  // Swaps in a new config: requests that start afterwards use it, requests in
  // flight finish on the old one. Fails (keeping the old) when the router
  // cannot be built. Listen address and threads need a restart.
  Status reload(ConfigPtr config);
  // Stops accepting, lets in-flight requests (streams included) finish for up
  // to `grace`, then stops. Returns how many were still running at the deadline.
  int drain(std::chrono::milliseconds grace);
  int in_flight() const;
  // Stops accepting, stops the workers and joins them. Idempotent.
  void stop();

 private:
  struct Worker;
  ConfigPtr config_;
  GatewayServices services_;
  std::shared_ptr<GatewayStateSlot> slot_;
  std::unique_ptr<boost::asio::thread_pool> lookups_;  // see Gateway's constructor
  // Calls on a remote state store (GatewayState::store_calls); null with the in-process one.
  static constexpr int kStoreCallThreads = 16;
  std::unique_ptr<boost::asio::thread_pool> store_calls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::string> warnings_;
  std::uint16_t port_ = 0;
};

}  // namespace fulcrum
