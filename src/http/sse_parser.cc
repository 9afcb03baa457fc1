#include "http/sse_parser.h"

#include <cstring>

namespace fulcrum {

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
    // The line's end: memchr scans a vector at a time, where a byte loop took
    // several instructions a byte (most of a streamed answer's relay cost).
    const std::size_t n = buf_.size();
    const char* from = buf_.data() + scan_;
    const char* end = buf_.data() + n;
    const auto* lf = static_cast<const char*>(std::memchr(from, '\n', static_cast<std::size_t>(end - from)));
    const char* stop = lf ? lf : end;
    if (const auto* cr = static_cast<const char*>(std::memchr(from, '\r', static_cast<std::size_t>(stop - from)))) stop = cr;
    const auto i = static_cast<std::size_t>(stop - buf_.data());
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
