#pragma once
// OpenAI's Responses API (`POST /v1/responses`) in front of the chat
// completions pipeline: a Responses request becomes a chat completions body
// (instructions -> a system message, input items -> messages, function tools
// flattened -> nested, max_output_tokens -> max_tokens, reasoning.effort ->
// reasoning_effort, text.format -> response_format), is routed, priced and
// logged like any chat request, and its answer (whole or streamed) becomes a
// Response object or Responses stream events again. Stateless: requests that
// need stored responses (previous_response_id, conversation) are refused.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/result.h"
#include "http/sse_parser.h"

namespace fulcrum {

// The chat completions body for a Responses request, or invalid_request
// naming the field at fault.
Result<std::string> responses_to_chat(std::string_view responses_body);

// A whole chat completion as a Response object; `id` is the response's id.
boost::json::object chat_to_response(const boost::json::object& chat, std::string_view id);

// Turns a chat completions event stream into Responses events, as bytes
// arrive (any split). Comments (fulcrum's cost line) pass through.
class ResponsesStream {
 public:
  ResponsesStream(std::string id, std::int64_t created_at) : id_(std::move(id)), created_at_(created_at) {}
  // The Responses bytes for these chat stream bytes.
  std::string feed(std::string_view chat_bytes);
  // The closing events, if the chat stream ended without [DONE].
  std::string finish();

 private:
  void on_chunk(const boost::json::object& chunk, std::string& out);
  void start(std::string& out);
  void close(std::string& out);
  void event(std::string_view type, boost::json::object data, std::string& out);
  boost::json::object response(std::string_view status) const;
  boost::json::object message_item(std::string_view status) const;

  SseParser parser_;
  std::string id_;
  std::int64_t created_at_;
  std::string model_;
  std::int64_t sequence_ = 0;
  bool started_ = false, closed_ = false, text_open_ = false;
  std::string text_;
  struct Call {
    std::string call_id, name, arguments;
    std::int64_t output_index = 0;
  };
  std::vector<Call> calls_;  // by the chat stream's tool_calls index
  std::int64_t next_output_index_ = 0, text_output_index_ = -1;
  boost::json::object usage_;
  std::string finish_reason_;
};

}  // namespace fulcrum
