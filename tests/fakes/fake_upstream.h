#pragma once
// A scriptable OpenAI/DeepSeek-compatible upstream for tests and load runs.
//
// Each request scripts its own answer through a "fake" object in its JSON
// body (fulcrum forwards unknown fields unchanged, so a test scripts the
// upstream through the gateway). Fields, all optional:
//   status (200), error_body (string), retry_after (seconds, with an error status),
//   body (raw response body, e.g. broken JSON),
//   delay_ms (before the head), chunk_delay_ms, chunks (N content chunks, stream),
//   content ("Hello from fake"), repeat (stream: the content N times, for big answers),
//   reasoning (reasoning_content text),
//   logprobs (true: per-token logprobs; logprob value via logprob, default -0.1),
//   usage {prompt_tokens, completion_tokens, prompt_cache_hit_tokens,
//          prompt_cache_miss_tokens, reasoning_tokens}, no_usage (true),
//   reset_after (stream: reset the connection after N chunks; -1 before the head),
//   no_done (stream: omit "data: [DONE]"), sse_raw (array of raw SSE strings),
//   fail_first {key, count, status}: the first `count` requests carrying `key`
//   get `status` (503 default), later ones the scripted answer.
// Like DeepSeek in thinking mode (`thinking: {type: enabled}`), it answers 400
// "Missing `reasoning_content` field in the assistant message at message index
// N" when a tool-calling assistant turn carries no reasoning_content.
// GET /_fake/requests returns the recorded requests (body + authorization), the
// most recent 10,000.
//
// Threading: runs on its own thread; the accessors are thread-safe.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fulcrum::testing {

struct RecordedRequest {
  std::string target;
  std::string authorization;
  std::string body;
  std::string traceparent;  // W3C trace context, as the gateway forwarded it
};

class FakeUpstream {
 public:
  // port 0 picks a free port. With a certificate and key (PEM files) it serves HTTPS.
  explicit FakeUpstream(std::uint16_t port = 0, int threads = 1, const std::string& cert_pem_file = {},
                        const std::string& key_pem_file = {});
  ~FakeUpstream();

  std::uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string tls_base_url(const std::string& host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port_);
  }

  std::vector<RecordedRequest> requests() const;
  void clear_requests();
  // Connections accepted so far (to check keep-alive reuse).
  int connections_accepted() const { return connections_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
};

}  // namespace fulcrum::testing
