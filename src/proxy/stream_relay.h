#pragma once
// Relays an upstream SSE answer to the client event by event, never buffering
// the whole answer. Along the way it reads usage (fulcrum always asks the
// upstream for it), drops the usage-only chunk when the client did not ask for
// usage, counts the answer's characters in case usage never comes, and writes
// the cost as an SSE comment just before "data: [DONE]".
//
// Parsing every event's JSON was most of a stream's relay cost, and its
// result is needed only by an event that carries usage, by a cascade that
// judges logprobs, and when usage never comes. So an event with a usage object
// (or any event, for a cascade) is parsed as it passes; the others are kept,
// unparsed, in a bounded backlog that is counted only if usage never comes
// (or when it fills) and dropped once usage has come.
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

  // `wants_logprobs`: logprobs() is read (a cascade's verdict), so every event is parsed as it passes.
  explicit StreamAccounting(bool client_wants_usage, bool wants_logprobs = false)
      : client_wants_usage_(client_wants_usage), wants_logprobs_(wants_logprobs) {}

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
  std::int64_t answer_code_points();
  // Logprobs of the first answer tokens of choice 0, in order (at most kMaxLogprobs);
  // only when constructed with `wants_logprobs`, until stop_reading_logprobs().
  const std::vector<double>& logprobs() const { return logprobs_; }
  // The verdict is given: later events are parsed only when they carry usage.
  void stop_reading_logprobs() { wants_logprobs_ = false; }

 private:
  void on_event(const SseEvent& ev, std::string& out, const std::function<std::string()>& cost_comment);
  void count(std::string_view data);  // adds an event's characters to answer_code_points_
  void count_backlog();

  bool client_wants_usage_;
  bool wants_logprobs_;
  SseParser parser_;
  Usage usage_;
  bool saw_usage_ = false;
  bool saw_done_ = false;
  std::int64_t answer_code_points_ = 0;
  std::vector<double> logprobs_;
  std::string backlog_;                     // the data of events not parsed yet, back to back
  std::vector<std::uint32_t> backlog_ends_;  // where each ends in backlog_
};

}  // namespace fulcrum
