#pragma once
// What every translation between another client API (OpenAI's Responses,
// Anthropic's Messages) and chat completions shares: reading the chat
// completions event stream it turns into the client's events, and letting a
// request's fields it does not translate through, as chat requests do.
#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/json_parse.h"
#include "http/sse_parser.h"

namespace fulcrum {

// Feeds chat stream bytes (any split) to `parser`; calls on_chunk(object) for
// each JSON chunk and on_done() at `[DONE]`. Events without data (fulcrum's
// cost comment) are appended to `out` as they came.
template <class OnChunk, class OnDone>
void read_chat_stream(SseParser& parser, std::string_view bytes, std::string& out, OnChunk&& on_chunk,
                      OnDone&& on_done) {
  parser.feed(bytes);
  SseEvent e;
  while (parser.next(e)) {
    if (!e.has_data) {
      out += e.raw;
      continue;
    }
    if (e.data == "[DONE]") {
      on_done();
      continue;
    }
    boost::json::error_code ec;
    auto v = parse_json(e.data, ec);
    if (!ec && v.is_object()) on_chunk(v.get_object());
  }
}

// A string field's value, or "" when it is absent or not a string.
inline std::string string_or_empty(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Copies into `out` each field of `in` that `out` lacks and that is not one of
// `own` (the client API's fields with no chat equivalent): vendor extensions
// such as DeepSeek's `thinking` reach the upstream unchanged.
inline void copy_other_fields(const boost::json::object& in, boost::json::object& out,
                              std::initializer_list<std::string_view> own) {
  for (const auto& kv : in) {
    const std::string_view key = kv.key();
    if (!out.contains(key) && std::find(own.begin(), own.end(), key) == own.end()) out[key] = kv.value();
  }
}

}  // namespace fulcrum
