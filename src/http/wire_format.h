#pragma once
// HTTP/1.1 message heads and chunk framing written directly as bytes. The
// gateway's heads are small and fixed in shape; formatting them here and
// writing head + body with one gathered write is measurably cheaper than
// Beast's generic serializer on the hot path (see bench/RESULTS.md).
// Header values are stripped of CR and LF, so no value can inject a header.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/exchange.h"

namespace fulcrum {

struct ResponseHead {
  int status = 200;
  unsigned version = 11;  // 10 or 11
  bool keep_alive = true;
  std::string_view content_type;
  std::optional<std::size_t> content_length;  // nullopt: chunked transfer encoding
  bool no_cache = false;
};

std::string format_response_head(const ResponseHead& head, const HeaderList& extra);

// "POST <target> HTTP/1.1" with Host, User-Agent, Content-Type, Accept,
// Authorization (when bearer is non-empty), `extra_headers` (whole lines the
// caller built, e.g. traceparent), Content-Length.
std::string format_post_head(std::string_view target, std::string_view host, std::string_view accept,
                             std::string_view bearer, std::size_t content_length, std::string_view extra_headers = {});

// The "<hex size>\r\n" that precedes a chunk's bytes (which are followed by "\r\n").
std::string_view chunk_size_line(std::size_t size, char (&buf)[24]);

inline constexpr std::string_view kCrLf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace fulcrum
