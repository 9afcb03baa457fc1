#pragma once
// The sink a request in another client API is answered through (OpenAI's
// Responses, Anthropic's Messages): the chat completions pipeline writes a
// chat answer, whole or streamed, or an OpenAI error into it, and the client
// gets them in its own API's format.
#include <memory>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "http/exchange.h"

namespace fulcrum {

// One client API's answers, made from chat completions ones.
class AnswerFormat {
 public:
  virtual ~AnswerFormat() = default;
  // A 200 chat completion; `request_id` is fulcrum's (x-fulcrum-request-id).
  virtual std::string whole(const boost::json::object& chat, std::string_view request_id) = 0;
  // An error answer (an OpenAI error body) with its status.
  virtual std::string error(int status, std::string_view openai_error_body) = 0;
  // A stream: begun, fed the chat stream's bytes as they come, ended.
  virtual void begin_stream(std::string_view request_id) = 0;
  virtual std::string stream(std::string_view chat_bytes) = 0;
  virtual std::string end_stream() = 0;
};

std::unique_ptr<AnswerFormat> responses_answer_format();  // OpenAI's Responses API
std::unique_ptr<AnswerFormat> messages_answer_format();   // Anthropic's Messages API

class TranslatingSink final : public ResponseSink {
 public:
  TranslatingSink(ResponseSink& inner, AnswerFormat& format) : inner_(inner), format_(format) {}

  boost::asio::awaitable<bool> send(int status, HeaderList headers, std::string body,
                                    std::string_view content_type) override;
  boost::asio::awaitable<bool> begin_stream(int status, HeaderList headers, std::string_view content_type) override;
  boost::asio::awaitable<bool> write(std::string_view bytes) override;
  boost::asio::awaitable<bool> end_stream(std::string_view last_bytes) override;
  bool started() const override { return inner_.started(); }
  void watch_client_close(std::function<void()> on_close) override { inner_.watch_client_close(std::move(on_close)); }
  void stop_watching() override { inner_.stop_watching(); }
  std::string why_gone() const override { return inner_.why_gone(); }

 private:
  ResponseSink& inner_;
  AnswerFormat& format_;
  bool streaming_ = false;
};

}  // namespace fulcrum
