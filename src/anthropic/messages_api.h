#pragma once
// Anthropic's Messages API (`POST /v1/messages`) in front of the chat
// completions pipeline, as openai/responses_api.h does for OpenAI's Responses:
// a Messages request becomes a chat completions body (system -> a system
// message, content blocks -> messages: text, images, tool_use -> tool_calls,
// tool_result -> tool messages, thinking -> reasoning_content; tools and
// tool_choice; thinking -> DeepSeek's `thinking`), is routed, priced and
// logged like any chat request, and its answer (whole or streamed) becomes a
// Message or Messages stream events again; errors take Anthropic's shape.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.h"
#include "http/sse_parser.h"

namespace fulcrum {

// The chat completions body for a Messages request, or invalid_request
// naming the field at fault.
Result<std::string> messages_to_chat(std::string_view messages_body);

// A whole chat completion as an Anthropic Message; `id` is the message's id.
boost::json::object chat_to_message(const boost::json::object& chat, std::string_view id);

// An OpenAI error body ({"error": {"type", "message"}}) in Anthropic's shape
// ({"type": "error", "error": {"type", "message"}}).
std::string anthropic_error(int status, std::string_view openai_error_body);

// Turns a chat completions event stream into Messages events, as bytes arrive
// (any split). Comments (fulcrum's cost line) pass through.
class MessagesStream {
 public:
  explicit MessagesStream(std::string id) : id_(std::move(id)) {}
  std::string feed(std::string_view chat_bytes);
  std::string finish();  // the closing events, if the chat stream ended without [DONE]

 private:
  void on_chunk(const boost::json::object& chunk, std::string& out);
  void start(std::string& out);
  void close_block(std::string& out);
  void open_block(std::string_view kind, boost::json::object block, std::string& out);
  void close(std::string& out);
  void event(std::string_view type, boost::json::object data, std::string& out);

  SseParser parser_;
  std::string id_, model_;
  bool started_ = false, closed_ = false;
  std::int64_t block_ = -1;   // index of the open content block; -1: none
  std::string block_kind_;    // "text", "thinking" or "tool_use"
  std::int64_t tool_index_ = -1;  // the chat stream's tool_calls index of the open tool_use block
  std::string finish_reason_;
  std::int64_t input_tokens_ = 0, output_tokens_ = 0, cache_read_ = 0;
};

}  // namespace fulcrum
