#include "proxy/responses_sink.h"

#include <chrono>

#include <boost/json.hpp>

namespace fulcrum {
namespace {

// The response's id: fulcrum's request id, so feedback and the ledger find it.
std::string response_id(const HeaderList& headers) {
  for (const auto& [name, value] : headers)
    if (name == "x-fulcrum-request-id") return "resp_" + value;
  return "resp_unknown";
}

}  // namespace

boost::asio::awaitable<bool> ResponsesSink::send(int status, HeaderList headers, std::string body,
                                                 std::string_view content_type) {
  if (status == 200) {
    boost::json::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object() && v.get_object().contains("choices"))
      body = boost::json::serialize(chat_to_response(v.get_object(), response_id(headers)));
  }
  co_return co_await inner_.send(status, std::move(headers), std::move(body), content_type);
}

boost::asio::awaitable<bool> ResponsesSink::begin_stream(int status, HeaderList headers, std::string_view content_type) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  stream_.emplace(response_id(headers), now);
  co_return co_await inner_.begin_stream(status, std::move(headers), content_type);
}

boost::asio::awaitable<bool> ResponsesSink::write(std::string_view bytes) {
  if (!stream_) co_return co_await inner_.write(bytes);
  const auto out = stream_->feed(bytes);
  if (out.empty()) co_return true;
  co_return co_await inner_.write(out);
}

boost::asio::awaitable<bool> ResponsesSink::end_stream(std::string_view last_bytes) {
  if (!stream_) co_return co_await inner_.end_stream(last_bytes);
  auto out = stream_->feed(last_bytes);  // first: it may hold the usage chunk the closing events report
  out += stream_->finish();
  co_return co_await inner_.end_stream(out);
}

}  // namespace fulcrum
