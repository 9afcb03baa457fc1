#pragma once
// One byte stream to an upstream, plain TCP or TLS, chosen at run time.
// Satisfies Beast's AsyncStream for completion-handler tokens, so
// http::async_read/async_write work on it unchanged. It has no timeouts of its
// own: the connection's SocketDeadline closes socket() (the lowest layer).
#include <variant>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/asio.h"

namespace fulcrum {

class UpstreamStream {
 public:
  using TlsStream = beast::ssl_stream<tcp::socket>;
  using executor_type = tcp::socket::executor_type;

  explicit UpstreamStream(const executor_type& ex) : v_(std::in_place_type<tcp::socket>, ex) {}
  UpstreamStream(const executor_type& ex, net::ssl::context& tls)
      : v_(std::in_place_type<TlsStream>, ex, tls) {}

  executor_type get_executor() { return socket().get_executor(); }
  bool is_tls() const { return std::holds_alternative<TlsStream>(v_); }
  TlsStream* tls() { return std::get_if<TlsStream>(&v_); }

  tcp::socket& socket() {
    if (auto* t = std::get_if<TlsStream>(&v_)) return t->next_layer();
    return std::get<tcp::socket>(v_);
  }

  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    if (auto* t = std::get_if<TlsStream>(&v_)) t->async_read_some(buffers, std::forward<Handler>(handler));
    else std::get<tcp::socket>(v_).async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    if (auto* t = std::get_if<TlsStream>(&v_)) t->async_write_some(buffers, std::forward<Handler>(handler));
    else std::get<tcp::socket>(v_).async_write_some(buffers, std::forward<Handler>(handler));
  }

  void close() {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  std::variant<tcp::socket, TlsStream> v_;
};

}  // namespace fulcrum
