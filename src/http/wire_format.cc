#include "http/wire_format.h"

#include <algorithm>
#include <cstring>

#include <boost/beast/http/status.hpp>

namespace fulcrum {
namespace {

// Appends a header value without its CR and LF bytes (no header splitting),
// run by run rather than byte by byte: values rarely hold either, so the
// common case is two memchr calls and one append.
void append_one_line(std::string& out, std::string_view value) {
  if (value.empty()) return;  // memchr is not for a null pointer, even with size 0
  if (!std::memchr(value.data(), '\r', value.size()) && !std::memchr(value.data(), '\n', value.size())) {
    out.append(value);
    return;
  }
  const auto line_break = [](char c) { return c == '\r' || c == '\n'; };
  for (auto it = value.begin(); it != value.end();) {
    const auto cut = std::find_if(it, value.end(), line_break);
    out.append(it, cut);
    it = cut == value.end() ? cut : cut + 1;
  }
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  append_one_line(out, value);
  out.append("\r\n");
}

}  // namespace

std::string format_response_head(const ResponseHead& h, const HeaderList& extra) {
  std::string out;
  out.reserve(256 + extra.size() * 64);
  out.append(h.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(h.status));
  out.push_back(' ');
  out.append(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(h.status)));
  out.append("\r\nServer: fulcrum\r\n");
  append_field(out, "Content-Type", h.content_type);
  if (h.no_cache) out.append("Cache-Control: no-cache\r\n");
  for (const auto& [k, v] : extra) append_field(out, k, v);
  if (h.content_length) append_field(out, "Content-Length", std::to_string(*h.content_length));
  else out.append("Transfer-Encoding: chunked\r\n");
  if (!h.keep_alive) out.append("Connection: close\r\n");
  else if (h.version == 10) out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  return out;
}

std::string format_post_head(std::string_view target, std::string_view host, std::string_view accept,
                             std::string_view bearer, std::size_t content_length, std::string_view extra_headers) {
  std::string out;
  out.reserve(256 + target.size() + bearer.size() + extra_headers.size());
  out.append("POST ");
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  append_field(out, "Host", host);
  out.append("User-Agent: fulcrum/0.1\r\nContent-Type: application/json\r\n");
  append_field(out, "Accept", accept);
  if (!bearer.empty()) {
    out.append("Authorization: Bearer ");
    append_one_line(out, bearer);
    out.append("\r\n");
  }
  out.append(extra_headers);
  append_field(out, "Content-Length", std::to_string(content_length));
  out.append("\r\n");
  return out;
}

std::string_view chunk_size_line(std::size_t size, char (&buf)[24]) {
  static constexpr char digits[] = "0123456789abcdef";
  char* end = buf + sizeof buf;
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  do {
    *--p = digits[size & 0xF];
    size >>= 4;
  } while (size != 0);
  return std::string_view(p, static_cast<std::size_t>(end - p));
}

}  // namespace fulcrum
