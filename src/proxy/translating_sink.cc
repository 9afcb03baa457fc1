#include "proxy/translating_sink.h"

#include <chrono>

#include <boost/json.hpp>

#include "anthropic/messages_api.h"
#include "core/json_parse.h"
#include "openai/responses_api.h"

namespace fulcrum {
namespace {

std::string request_id_of(const HeaderList& headers) {
  for (const auto& [name, value] : headers)
    if (name == "x-fulcrum-request-id") return value;
  return "unknown";
}

class ResponsesFormat final : public AnswerFormat {
 public:
  std::string whole(const boost::json::object& chat, std::string_view request_id) override {
    return boost::json::serialize(chat_to_response(chat, "resp_" + std::string(request_id)));
  }
  std::string error(int, std::string_view body) override { return std::string(body); }  // the same error objects
  void begin_stream(std::string_view request_id) override {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    stream_.emplace("resp_" + std::string(request_id), now);
  }
  std::string stream(std::string_view bytes) override { return stream_->feed(bytes); }
  std::string end_stream() override { return stream_->finish(); }

 private:
  std::optional<ResponsesStream> stream_;
};

class MessagesFormat final : public AnswerFormat {
 public:
  std::string whole(const boost::json::object& chat, std::string_view request_id) override {
    return boost::json::serialize(chat_to_message(chat, "msg_" + std::string(request_id)));
  }
  std::string error(int status, std::string_view body) override { return anthropic_error(status, body); }
  void begin_stream(std::string_view request_id) override { stream_.emplace("msg_" + std::string(request_id)); }
  std::string stream(std::string_view bytes) override { return stream_->feed(bytes); }
  std::string end_stream() override { return stream_->finish(); }

 private:
  std::optional<MessagesStream> stream_;
};

}  // namespace

std::unique_ptr<AnswerFormat> responses_answer_format() { return std::make_unique<ResponsesFormat>(); }
std::unique_ptr<AnswerFormat> messages_answer_format() { return std::make_unique<MessagesFormat>(); }

boost::asio::awaitable<bool> TranslatingSink::send(int status, HeaderList headers, std::string body,
                                                   std::string_view content_type) {
  if (status == 200) {
    boost::json::error_code ec;
    auto v = parse_json(body, ec);
    if (!ec && v.is_object() && v.get_object().contains("choices"))
      body = format_.whole(v.get_object(), request_id_of(headers));
  } else if (status >= 400) {
    body = format_.error(status, body);
  }
  co_return co_await inner_.send(status, std::move(headers), std::move(body), content_type);
}

boost::asio::awaitable<bool> TranslatingSink::begin_stream(int status, HeaderList headers,
                                                           std::string_view content_type) {
  format_.begin_stream(request_id_of(headers));
  streaming_ = true;
  co_return co_await inner_.begin_stream(status, std::move(headers), content_type);
}

boost::asio::awaitable<bool> TranslatingSink::write(std::string_view bytes) {
  if (!streaming_) co_return co_await inner_.write(bytes);
  const auto out = format_.stream(bytes);
  if (out.empty()) co_return true;
  co_return co_await inner_.write(out);
}

boost::asio::awaitable<bool> TranslatingSink::end_stream(std::string_view last_bytes) {
  if (!streaming_) co_return co_await inner_.end_stream(last_bytes);
  auto out = format_.stream(last_bytes);  // first: it may hold the usage chunk the closing events report
  out += format_.end_stream();
  co_return co_await inner_.end_stream(out);
}

}  // namespace fulcrum
