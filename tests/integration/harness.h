#pragma once
// In-process gateway + fake upstream for integration tests, and a small
// blocking HTTP client. Waits are on conditions with timeouts, never sleeps.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/gateway_runtime.h"
#include "app/operations.h"
#include "fakes/fake_upstream.h"
#include "accounting/request_record.h"

namespace fulcrum::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One request on a fresh connection; status 0 when the connection failed.
HttpResult http_call(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::map<std::string, std::string>& headers = {});

// Several requests on one keep-alive connection.
std::vector<HttpResult> http_calls_keep_alive(std::uint16_t port, const std::vector<std::string>& bodies);

class RecordingObserver final : public RequestObserver {
 public:
  void on_request_done(const RequestRecord& record) override;
  // Waits until at least n records arrived; returns them (empty on timeout).
  std::vector<RequestRecord> wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RequestRecord> records_;
};

struct HarnessOptions {
  std::string provider_extra;  // YAML lines added under the fake provider (4-space indent)
  std::string top_extra;       // YAML lines added at top level
  bool api_key = true;         // set FULCRUM_TEST_KEY for the provider
  std::string router_extra;    // YAML lines added under router: (2-space indent)
  // More providers and tiers (2-space indent entries); "{FAKE}" stands for the fake's base URL.
  std::string more_providers{};
  std::string more_tiers{};
  bool operations = false;     // wire the serve stack (ledger, metrics, keys, cache, state store)
  int threads = 2;             // gateway worker threads
  FeedbackStore* feedback = nullptr;  // without `operations`: where /v1/feedback goes (null: 503)
};

// A fake upstream, and a gateway in front of it with tiers:
//   flash -> fake (fallback: pro), pro -> fake, dead -> a closed port (fallback: pro),
//   keyless -> a provider whose key variable is unset.
class Harness {
 public:
  explicit Harness(const HarnessOptions& options = {});
  ~Harness();
  std::uint16_t port() const { return runtime_->port(); }
  FakeUpstream& fake() { return fake_; }
  RecordingObserver& observer() { return observer_; }
  const Config& config() const { return *config_; }
  Operations& ops() { return *ops_; }

  HttpResult chat(const std::string& body, const std::map<std::string, std::string>& headers = {}) {
    return http_call(port(), "POST", "/v1/chat/completions", body, headers);
  }

 private:
  FakeUpstream fake_;
  RecordingObserver observer_;
  ConfigPtr config_;
  std::unique_ptr<Operations> ops_;
  std::unique_ptr<GatewayRuntime> runtime_;
};

// Splits an SSE body into its events' data payloads (comments excluded).
std::vector<std::string> sse_data(const std::string& body);

}  // namespace fulcrum::testing
