#pragma once
// Incremental Server-Sent Events parser (WHATWG "event stream" framing).
// Bytes arrive in arbitrary splits; complete events come out with both their
// raw bytes (to relay unchanged) and their joined `data:` payload (to inspect).
// Lines may end in "\n", "\r\n" or "\r". Work is linear in the input: no byte
// is scanned twice however the stream is split. Not thread-safe; one per stream.
#include <cstddef>
#include <string>
#include <string_view>

namespace fulcrum {

struct SseEvent {
  std::string_view raw;   // the event's bytes including its terminating blank line
  std::string_view data;  // data lines joined by '\n' (one leading space stripped)
  bool has_data = false;  // false for comment-only or field-only events
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 16 * 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

  // Appends bytes. Invalidates views from earlier events.
  void feed(std::string_view bytes);

  // Extracts the next complete event; false when more bytes are needed.
  // The views stay valid until the next feed() or next().
  bool next(SseEvent& out);

  // True when one event grew past max_event_bytes (the stream should be dropped).
  bool overflowed() const { return buf_.size() - event_start_ > max_event_bytes_; }

  // Bytes of an event not yet terminated by a blank line.
  std::string_view pending() const { return std::string_view(buf_).substr(event_start_); }

 private:
  void take_line(std::string_view line);

  std::string buf_;
  std::size_t event_start_ = 0;
  std::size_t line_start_ = 0;
  std::size_t scan_ = 0;
  std::string data_;       // being accumulated for the current event
  std::string out_data_;   // handed out with the last event
  bool has_data_ = false;
  std::size_t max_event_bytes_;
};

}  // namespace fulcrum
