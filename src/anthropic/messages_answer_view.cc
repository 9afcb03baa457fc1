// The coroutine half of messages_upstream.h (kept apart so the parsers build
// without coroutines, as the fuzz targets need): a Messages upstream's answer
// read as a chat completion.
#include <boost/json.hpp>

#include "anthropic/messages_upstream.h"

namespace fulcrum {
namespace json = boost::json;

namespace {

class ChatViewOfMessages final : public UpstreamResponse {
 public:
  explicit ChatViewOfMessages(std::unique_ptr<UpstreamResponse> inner) : inner_(std::move(inner)) {}
  int status() const override { return inner_->status(); }
  std::string_view header(std::string_view name) const override {
    if (name == "content-type" && !inner_->is_event_stream()) return "application/json";
    return inner_->header(name);
  }
  bool is_event_stream() const override { return inner_->is_event_stream(); }
  boost::asio::awaitable<Result<std::string>> read_body(std::size_t limit) override {
    auto body = co_await inner_->read_body(limit);
    if (!body) co_return std::move(body).error();
    auto chat = message_to_chat(*body);
    if (!chat) co_return std::move(chat).error();
    co_return json::serialize(*chat);
  }
  boost::asio::awaitable<Result<bool>> read_some(std::string& out) override {
    std::string raw;
    auto more = co_await inner_->read_some(raw);
    if (!more) co_return std::move(more).error();
    out += stream_.feed(raw);
    co_return *more;
  }
  void abort() override { inner_->abort(); }

 private:
  std::unique_ptr<UpstreamResponse> inner_;
  ChatChunksFromMessages stream_;
};

}  // namespace

std::unique_ptr<UpstreamResponse> chat_view_of_messages(std::unique_ptr<UpstreamResponse> messages_answer) {
  return std::make_unique<ChatViewOfMessages>(std::move(messages_answer));
}

}  // namespace fulcrum
