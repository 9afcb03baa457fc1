#include "core/trace_context.h"

#include <cstdint>
#include <random>

namespace fulcrum {
namespace {

std::uint64_t random64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

std::string random_hex(int words) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int w = 0; w < words; ++w) {
    std::uint64_t v = random64();
    if (v == 0) v = 1;  // an id of all zeros is invalid
    for (int i = 0; i < 16; ++i, v >>= 4) out.push_back(digits[v & 15]);
  }
  return out;
}

bool lower_hex(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }
bool all_zeros(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

std::optional<TraceContext> parse_traceparent(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters;
  // a later version may append "-..." fields, which are ignored.
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  const auto version = h.substr(0, 2), trace = h.substr(3, 32), parent = h.substr(36, 16), flags = h.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace) || !lower_hex(parent) || !lower_hex(flags))
    return std::nullopt;
  if (version == "00" && h.size() != 55) return std::nullopt;
  if (h.size() > 55 && h[55] != '-') return std::nullopt;
  if (all_zeros(trace) || all_zeros(parent)) return std::nullopt;
  TraceContext c;
  c.trace_id = std::string(trace);
  c.parent_span_id = std::string(parent);
  const int flag_bits = (flags[1] >= 'a' ? flags[1] - 'a' + 10 : flags[1] - '0');
  c.sampled = (flag_bits & 1) != 0;
  return c;
}

TraceContext start_trace(std::string_view traceparent, std::string_view tracestate, double sample_ratio) {
  TraceContext c;
  if (auto parsed = parse_traceparent(traceparent)) {
    c = std::move(*parsed);
    // Forwarded only when it is one header line of visible ASCII within the spec's 512 characters.
    if (tracestate.size() <= 512 && tracestate.find_first_of("\r\n") == std::string_view::npos)
      c.tracestate = std::string(tracestate);
  } else {
    c.trace_id = random_hex(2);
    // A uniform draw in [0, 1): that share of new traces is sampled.
    c.sampled = static_cast<double>(random64() >> 11) * 0x1.0p-53 < sample_ratio;
  }
  c.span_id = new_span_id();
  return c;
}

std::string new_span_id() { return random_hex(1); }

std::string format_traceparent(const std::string& trace_id, const std::string& span_id, bool sampled) {
  return "00-" + trace_id + "-" + span_id + (sampled ? "-01" : "-00");
}

}  // namespace fulcrum
