#pragma once
// Relays an upstream SSE answer to the client event by event, never buffering
// the whole answer. Along the way it reads usage (fulcrum always asks the
// upstream for it), drops the usage-only chunk when the client did not ask for
// usage, counts the answer's characters in case usage never comes, and writes
// the cost as an SSE comment just before "data: [DONE]".
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/sse_parser.h"
#include "openai/usage.h"

namespace fulcrum {

class StreamAccounting {
 public:
  static constexpr std::size_t kMaxLogprobs = 256;

  explicit StreamAccounting(bool client_wants_usage) : client_wants_usage_(client_wants_usage) {}

  // Feeds upstream body bytes; appends what to send to the client to `out`.
  // `cost_comment` is called when "[DONE]" is seen, to produce the comment line.
  void feed(std::string_view bytes, std::string& out, const std::function<std::string()>& cost_comment);
  // At the end of the upstream body: flushes an unterminated last event.
  void finish(std::string& out, const std::function<std::string()>& cost_comment);

  bool saw_usage() const { return saw_usage_; }
  bool saw_done() const { return saw_done_; }
  bool overflowed() const { return parser_.overflowed(); }
  const Usage& usage() const { return usage_; }
  // What the answer says (openai/answer_reader.h), to estimate usage from when none comes.
  std::int64_t answer_code_points() const { return answer_code_points_; }
  // Logprobs of the first answer tokens of choice 0, in order (at most kMaxLogprobs).
  const std::vector<double>& logprobs() const { return logprobs_; }

 private:
  void on_event(const SseEvent& ev, std::string& out, const std::function<std::string()>& cost_comment);

  bool client_wants_usage_;
  SseParser parser_;
  Usage usage_;
  bool saw_usage_ = false;
  bool saw_done_ = false;
  std::int64_t answer_code_points_ = 0;
  std::vector<double> logprobs_;
};

}  // namespace fulcrum
