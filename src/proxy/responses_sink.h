#pragma once
// The sink a Responses API request is answered through: the chat completions
// pipeline writes a chat answer (whole or streamed) into it, and the client
// gets a Response object or Responses events (openai/responses_api.h).
// Errors are the same OpenAI error objects in both APIs and pass unchanged.
#include <optional>

#include "http/exchange.h"
#include "openai/responses_api.h"

namespace fulcrum {

class ResponsesSink final : public ResponseSink {
 public:
  explicit ResponsesSink(ResponseSink& inner) : inner_(inner) {}

  boost::asio::awaitable<bool> send(int status, HeaderList headers, std::string body,
                                    std::string_view content_type) override;
  boost::asio::awaitable<bool> begin_stream(int status, HeaderList headers, std::string_view content_type) override;
  boost::asio::awaitable<bool> write(std::string_view bytes) override;
  boost::asio::awaitable<bool> end_stream(std::string_view last_bytes) override;
  bool started() const override { return inner_.started(); }
  void watch_client_close(std::function<void()> on_close) override { inner_.watch_client_close(std::move(on_close)); }
  void stop_watching() override { inner_.stop_watching(); }

 private:
  ResponseSink& inner_;
  std::optional<ResponsesStream> stream_;
};

}  // namespace fulcrum
