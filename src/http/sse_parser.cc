#include "http/sse_parser.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fulcrum {
namespace {

// The first '\n' or '\r' in [p, end), or end. Sixteen bytes a step: a byte
// loop here cost several instructions a byte, most of a streamed answer's relay.
const char* find_line_end(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
    if (hits != 0) return p + __builtin_ctz(static_cast<unsigned>(hits));
  }
#endif
  while (p < end && *p != '\n' && *p != '\r') ++p;
  return p;
}

}  // namespace

void SseParser::feed(std::string_view bytes) {
  if (event_start_ > 0) {
    buf_.erase(0, event_start_);
    line_start_ -= event_start_;
    scan_ -= event_start_;
    event_start_ = 0;
  }
  buf_.append(bytes);
}

void SseParser::take_line(std::string_view line) {
  // Only `data` matters for inspection; other fields travel in `raw`.
  if (line.size() >= 5 && std::memcmp(line.data(), "data", 4) == 0 && line[4] == ':') {
    auto value = line.substr(5);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (line == "data") {
    if (has_data_) data_.push_back('\n');
    has_data_ = true;
  }
}

bool SseParser::next(SseEvent& out) {
  while (true) {
    const std::size_t n = buf_.size();
    const auto i = static_cast<std::size_t>(find_line_end(buf_.data() + scan_, buf_.data() + n) - buf_.data());
    if (i == n) {
      scan_ = n;
      return false;
    }
    std::size_t eol = 1;
    if (buf_[i] == '\r') {
      if (i + 1 == n) {  // might be the first half of "\r\n"
        scan_ = i;
        return false;
      }
      if (buf_[i + 1] == '\n') eol = 2;
    }
    std::string_view line(buf_.data() + line_start_, i - line_start_);
    line_start_ = scan_ = i + eol;
    if (!line.empty()) {
      take_line(line);
      continue;
    }
    out_data_.swap(data_);
    data_.clear();
    out.raw = std::string_view(buf_.data() + event_start_, line_start_ - event_start_);
    out.data = out_data_;
    out.has_data = has_data_;
    has_data_ = false;
    event_start_ = line_start_;
    return true;
  }
}

}  // namespace fulcrum
