#pragma once
// A chat-completions request parsed once from the client's body. The JSON
// object is kept whole, so every field fulcrum does not know about (tools,
// response_format, logprobs, metadata, reasoning_content in assistant turns,
// vendor extensions) reaches the upstream unchanged.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "config/config.h"
#include "core/result.h"

namespace fulcrum {

struct ChatRequest {
  // Allocated from one monotonic arena per request (freed at once with it).
  // Move-construct ChatRequest; move-assigning would copy into another arena.
  boost::json::object body;
  std::optional<std::string> model;  // as the client named it; nullopt when absent
  bool stream = false;
  bool client_wants_usage = false;   // stream_options.include_usage was true

  // The text of all messages, for token estimates when usage never arrives.
  std::string prompt_text() const;
  // prompt_text().size(), without building the string.
  std::int64_t prompt_size() const;
};

// The answer size the client asked for: `max_completion_tokens`, else
// `max_tokens` (a positive integer, at most kMaxTokenCount); 0 when it names none.
std::int64_t requested_max_tokens(const ChatRequest& request);

// Parses and validates: JSON object, non-empty `messages` of objects with a
// string `role`, string `model` if present, boolean `stream` if present.
Result<ChatRequest> parse_chat_request(std::string_view body);

// The body to send to `tier`: model replaced by the tier's upstream id, the
// tier's params deep-merged over the client's (the tier wins), and for streams
// stream_options.include_usage forced on so cost can always be accounted.
// Edits `req.body` in place and puts it back as it was before returning
// (cheaper than copying the whole body, which holds every message).
// `force_logprobs` asks the tier for logprobs whatever the client asked (the
// confidence cascade reads them).
// For a tier with tool_calls_need_reasoning_content, every assistant turn
// with tool calls and no `reasoning_content` gets an empty one (DeepSeek's
// thinking mode refuses the request otherwise); `history_fixes`, if given,
// is set to how many turns got one.
std::string build_upstream_body(ChatRequest& req, const Tier& tier, bool force_logprobs = false,
                                std::size_t* history_fixes = nullptr);

// How many assistant turns with tool calls carry no reasoning_content (a string).
std::size_t tool_call_turns_without_reasoning(const ChatRequest& req);

// Calls f(text) for each text piece of a message's content: the string
// itself, or the `text` of each part of an array.
template <class F>
void for_each_text(const boost::json::value& content, F&& f) {
  if (auto s = content.if_string()) {
    f(std::string_view(*s));
  } else if (auto parts = content.if_array()) {
    for (const auto& part : *parts)
      if (auto po = part.if_object())
        if (auto it = po->find("text"); it != po->end())
          if (auto text = it->value().if_string()) f(std::string_view(*text));
  }
}

// Appends a message's `content` text (a string, or the text parts of an
// array) to `out`, each piece followed by '\n'.
void append_message_text(const boost::json::value& content, std::string& out);

// Deep merge: objects merge key by key, anything else in `over` replaces.
void merge_json(boost::json::object& into, const boost::json::object& over);

}  // namespace fulcrum
