#pragma once
// What happened to one request: filled in by the proxy, handed to a
// RequestObserver when the request ends (access log now; ledger and metrics
// plug in at the same seam).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/result.h"
#include "core/trace_context.h"
#include "accounting/usage.h"

namespace fulcrum {

// One call to an upstream, for its trace span (kept only for sampled traces).
struct UpstreamAttempt {
  std::string span_id;
  std::string tier, provider, model;
  std::int64_t start_unix_ns = 0, end_unix_ns = 0;
  int status = 0;     // the upstream's HTTP status; 0 when none arrived
  std::string error;  // why it failed; empty when it answered
};

struct RequestRecord {
  std::string id;
  std::int64_t unix_ms = 0;  // when the request arrived
  std::string key;           // the gateway API key's name; empty without keys
  std::string model_requested;
  std::string tier;
  std::string upstream_model;
  std::string reason;
  bool stream = false;
  bool escalated = false;    // a cascade discarded the cheap answer
  bool fell_back = false;    // the chosen tier failed (or was cooling down): a fallback tier was tried
  bool cache_hit = false;    // answered from the response cache (cost 0)
  int status = 0;
  int attempts = 0;          // upstream attempts, retries and fallbacks included
  std::string error;         // message when the request failed
  Usage usage;               // every billed call: retries, fallbacks, a discarded cascade answer
  Usage answer_usage;        // the last billed call alone: the answer the client got, if any
  PicoUsd cost = 0;
  double overhead_ms = 0;    // time spent in fulcrum, not waiting on upstreams
  double ttfb_ms = 0;        // until the first byte went to the client
  double total_ms = 0;
  std::string prompt;        // the prompt text, clipped; only with ledger.capture: prompts
  TraceContext trace;        // observability.traces: the request's span (not traced: empty)
  std::vector<UpstreamAttempt> upstream_attempts;  // a sampled trace's child spans
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // Called once per request on the worker thread that served it; must not block.
  virtual void on_request_done(const RequestRecord& record) = 0;
};

// Calls each observer in turn (access log, ledger, metrics).
class ObserverList final : public RequestObserver {
 public:
  void add(RequestObserver* o) {
    if (o) observers_.push_back(o);
  }
  bool empty() const { return observers_.empty(); }
  void on_request_done(const RequestRecord& record) override {
    for (auto* o : observers_) o->on_request_done(record);
  }

 private:
  std::vector<RequestObserver*> observers_;
};

// An outcome a client reports for an answer (POST /v1/feedback).
struct FeedbackRecord {
  std::string request_id;
  std::string tier;       // of the request, looked up when the feedback arrives
  double score = 0;       // 0..1; `success: true/false` is 1/0
  std::optional<double> error_cost_usd;
  std::int64_t unix_ms = 0;
  // One verdict per request, the latest wins: the verdict this one replaces
  // (counters take it back), as FeedbackStore::store returned it.
  struct Verdict {
    double score = 0;
    std::optional<double> error_cost_usd;
  };
  std::optional<Verdict> replaced;
};

// The answered request a feedback names, as the ledger knows it.
struct FeedbackTarget {
  std::string tier;  // the tier that answered
  std::string key;   // the gateway key that asked (empty on an open gateway)
};

// Where feedback goes (the ledger). Thread-safe; neither call waits on the disk's writer.
class FeedbackStore {
 public:
  virtual ~FeedbackStore() = default;
  // The request `request_id`, or nullopt for an id never seen; an error
  // (Errc::unavailable) when the ledger's database cannot be asked.
  virtual Result<std::optional<FeedbackTarget>> find_request(std::string_view request_id) = 0;
  // Stores the verdict in place of any earlier one for the same request;
  // returns the verdict it replaced.
  virtual std::optional<FeedbackRecord::Verdict> store(const FeedbackRecord& feedback) = 0;
  // Called before an answer's last bytes go out: the client may send feedback
  // on it at once, to another thread, before the request's record arrives.
  virtual void expect(const std::string& request_id, const FeedbackTarget& target) = 0;
};

// What /dashboard shows (web/). Thread-safe.
class DashboardView {
 public:
  virtual ~DashboardView() = default;
  virtual void on_feedback(const FeedbackRecord& feedback) = 0;
  virtual std::string json(std::int64_t now_unix_ms) const = 0;
  virtual const std::string& page() const = 0;
};

// What /metrics shows. Thread-safe.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void on_feedback(const FeedbackRecord& feedback) = 0;
  virtual std::string prometheus_text() const = 0;
};

}  // namespace fulcrum
