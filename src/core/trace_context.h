#pragma once
// W3C Trace Context: the `traceparent` a client sends is continued by the
// gateway's spans and forwarded upstream, one child span per attempt.
// https://www.w3.org/TR/trace-context/ (version 00).
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum {

struct TraceContext {
  std::string trace_id;        // 32 lower-case hex digits; empty: this request is not traced
  std::string parent_span_id;  // the client's span (16 hex); empty: the gateway's span is the root
  std::string span_id;         // the gateway's span for the request
  bool sampled = false;        // exported, and the flag forwarded upstream
  std::string tracestate;      // the client's, forwarded as it came
  bool traced() const { return !trace_id.empty(); }
};

// A traceparent header's trace id, parent span and sampled flag; nullopt
// when it is malformed or its ids are all zeros (the spec's "invalid").
std::optional<TraceContext> parse_traceparent(std::string_view header);

// The request's context: the client's traceparent continued (its sampled
// flag followed), else a new trace sampled at `sample_ratio`. A new span id
// either way.
TraceContext start_trace(std::string_view traceparent, std::string_view tracestate, double sample_ratio);

std::string new_span_id();  // 16 random lower-case hex digits, never all zeros
std::string format_traceparent(const std::string& trace_id, const std::string& span_id, bool sampled);

}  // namespace fulcrum
