#pragma once
// An upstream that speaks Anthropic's Messages API (providers.NAME.type:
// anthropic; Anthropic's own, or DeepSeek's Anthropic-compatible endpoint).
// The chat completions body fulcrum built for the tier becomes a Messages
// request, and the answer, whole or streamed, comes back in OpenAI's chat
// completion form with its usage, so the proxy reads, prices, judges and
// relays it like any other. Messages has no logprobs: a cascade whose cheap
// tier is such an upstream follows its on_missing setting.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/result.h"
#include "http/sse_parser.h"
#include "http/upstream_response.h"

namespace fulcrum {

// The Messages request for a chat completions body: system messages -> the
// system prompt; text and image parts -> content blocks; assistant tool_calls
// -> tool_use blocks; tool messages -> tool_result blocks in a user turn;
// tools, tool_choice, temperature, top_p, stop, stream, thinking carried;
// max_tokens (required by Messages) from the request, else `default_max_tokens`.
Result<std::string> chat_to_messages_request(std::string_view chat_body, std::int64_t default_max_tokens);

// A Message as a chat completion: text -> content, thinking ->
// reasoning_content, tool_use -> tool_calls, stop_reason -> finish_reason;
// usage: prompt tokens = input + cache reads + cache writes, cache reads as hits.
Result<boost::json::object> message_to_chat(std::string_view message_body);

// A Messages error ({"type": "error", "error": {"type", "message"}}) in OpenAI's
// shape ({"error": {"message", "type", "param", "code"}}); any other body as it came.
std::string chat_error_from_messages(std::string body);

// Messages stream events -> chat completion chunks (SSE), as bytes arrive,
// ending with a usage chunk and [DONE].
class ChatChunksFromMessages {
 public:
  std::string feed(std::string_view message_event_bytes);

 private:
  void on_event(std::string_view type, const boost::json::object& data, std::string& out);
  void chunk(boost::json::object delta, std::string& out, std::string_view finish_reason = {});
  boost::json::object envelope(boost::json::array choices) const;  // a chat.completion.chunk around them

  SseParser parser_;
  std::string id_ = "chatcmpl-messages", model_;
  std::int64_t input_tokens_ = 0, cache_read_ = 0, cache_write_ = 0, output_tokens_ = 0;
  std::int64_t tool_calls_ = 0;    // tool_use blocks seen: the next one's tool_calls index
  std::int64_t block_tool_ = -1;   // the open block's tool_calls index; -1: not a tool_use
  bool done_ = false;
};

// Wraps a Messages upstream's 2xx answer so that it reads as a chat
// completion (whole) or chat completion chunks (stream).
std::unique_ptr<UpstreamResponse> chat_view_of_messages(std::unique_ptr<UpstreamResponse> messages_answer);

}  // namespace fulcrum
