#pragma once
// What happened to one request: filled in by the proxy, handed to a
// RequestObserver when the request ends (access log now; ledger and metrics
// plug in at the same seam).
#include <chrono>
#include <cstdint>
#include <string>

#include "core/money.h"
#include "openai/usage.h"

namespace fulcrum {

struct RequestRecord {
  std::string id;
  std::string model_requested;
  std::string tier;
  std::string upstream_model;
  std::string reason;
  bool stream = false;
  bool escalated = false;    // a cascade discarded the cheap answer
  int status = 0;
  int attempts = 0;          // upstream attempts, retries and fallbacks included
  std::string error;         // message when the request failed
  Usage usage;
  PicoUsd cost = 0;
  double overhead_ms = 0;    // time spent in fulcrum, not waiting on upstreams
  double ttfb_ms = 0;        // until the first byte went to the client
  double total_ms = 0;
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // Called once per request on the worker thread that served it; must not block.
  virtual void on_request_done(const RequestRecord& record) = 0;
};

}  // namespace fulcrum
