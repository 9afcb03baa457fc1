#pragma once
// The running gateway: N worker threads, each with its own io_context,
// HTTP server (all bound to one port with SO_REUSEPORT) and Gateway handler
// (own upstream connection pools). Used by `fulcrum serve` and, in-process,
// by the integration tests.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "proxy/request_record.h"

namespace fulcrum {

class GatewayRuntime {
 public:
  // `observer` (may be null) must outlive the runtime and be thread-safe.
  GatewayRuntime(ConfigPtr config, RequestObserver* observer);
  ~GatewayRuntime();

  // Binds the listen address and starts the worker threads.
  Status start();
  std::uint16_t port() const { return port_; }
  int threads() const { return static_cast<int>(workers_.size()); }
  // Start-up warnings (e.g. unset API key variables), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Blocks until SIGINT or SIGTERM, then stops.
  void wait_for_signal();
  // Stops accepting, stops the workers and joins them. Idempotent.
  void stop();

 private:
  struct Worker;
  ConfigPtr config_;
  RequestObserver* observer_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::string> warnings_;
  std::uint16_t port_ = 0;
};

}  // namespace fulcrum
