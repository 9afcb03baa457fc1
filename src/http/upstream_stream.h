#pragma once
// One byte stream to an upstream, plain TCP or TLS, chosen at run time.
// Satisfies Beast's AsyncStream for completion-handler tokens, so
// http::async_read/async_write work on it unchanged. Timeouts are set on
// tcp() (the lowest layer) in both cases.
#include <variant>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/asio.h"

namespace fulcrum {

class UpstreamStream {
 public:
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  using executor_type = beast::tcp_stream::executor_type;

  explicit UpstreamStream(const executor_type& ex) : v_(std::in_place_type<beast::tcp_stream>, ex) {}
  UpstreamStream(const executor_type& ex, net::ssl::context& tls)
      : v_(std::in_place_type<TlsStream>, ex, tls) {}

  executor_type get_executor() { return tcp().get_executor(); }
  bool is_tls() const { return std::holds_alternative<TlsStream>(v_); }
  TlsStream* tls() { return std::get_if<TlsStream>(&v_); }

  beast::tcp_stream& tcp() {
    if (auto* t = std::get_if<TlsStream>(&v_)) return t->next_layer();
    return std::get<beast::tcp_stream>(v_);
  }

  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    if (auto* t = std::get_if<TlsStream>(&v_)) t->async_read_some(buffers, std::forward<Handler>(handler));
    else std::get<beast::tcp_stream>(v_).async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    if (auto* t = std::get_if<TlsStream>(&v_)) t->async_write_some(buffers, std::forward<Handler>(handler));
    else std::get<beast::tcp_stream>(v_).async_write_some(buffers, std::forward<Handler>(handler));
  }

  void close() {
    boost::system::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

 private:
  std::variant<beast::tcp_stream, TlsStream> v_;
};

}  // namespace fulcrum
