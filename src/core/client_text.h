#pragma once
// Strings a client chose (a model name, a request id, a header value) are
// echoed in errors and stored in the ledger and the log. Each is clipped
// first, so a client cannot make the gateway write megabytes per request.
#include <cstddef>
#include <string>
#include <string_view>

namespace fulcrum {

inline constexpr std::size_t kMaxClientText = 256;

// The first at most `max` bytes of `text`, cut at a UTF-8 character boundary.
inline std::string clip_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return std::string(text.substr(0, cut));
}

// `text` when it is at most `max` bytes; else its first `max` bytes (cut at
// a UTF-8 character boundary) and "... (N bytes)".
inline std::string clip_client_text(std::string_view text, std::size_t max = kMaxClientText) {
  if (text.size() <= max) return std::string(text);
  return clip_utf8(text, max) + "... (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace fulcrum
