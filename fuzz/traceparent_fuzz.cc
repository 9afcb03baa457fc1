// Any header text: the traceparent parser must not crash; what it accepts
// has ids of the right shape that are not all zeros, and a context started
// from any header yields a well-formed traceparent to forward.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/trace_context.h"

namespace {
bool id_shape(const std::string& id, std::size_t len) {
  return id.size() == len && id.find_first_not_of("0123456789abcdef") == std::string::npos &&
         id.find_first_not_of('0') != std::string::npos;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  if (auto c = fulcrum::parse_traceparent(header)) {
    if (!id_shape(c->trace_id, 32) || !id_shape(c->parent_span_id, 16)) std::abort();
  }
  const auto started = fulcrum::start_trace(header, header, 0.5);
  const auto forwarded = fulcrum::format_traceparent(started.trace_id, started.span_id, started.sampled);
  const auto again = fulcrum::parse_traceparent(forwarded);
  if (!again || again->trace_id != started.trace_id || again->parent_span_id != started.span_id) std::abort();
  if (started.tracestate.find_first_of("\r\n") != std::string::npos) std::abort();
  return 0;
}
