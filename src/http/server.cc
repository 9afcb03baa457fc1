#include "http/server.h"

#include <sys/socket.h>

#include <array>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/read_size.hpp>
#include <spdlog/spdlog.h>

#include "http/buffered_parse.h"
#include "http/socket_deadline.h"
#include "http/wire_format.h"
#include "http/write_now.h"

namespace fulcrum {
namespace {

// HTTP/1.1's one expectation: the client sends its body after "100 Continue".
bool expects_continue(const http::request<http::string_body>& req) {
  return req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue");
}

using net::use_awaitable;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// Notices a client that closes its connection while its request is handled,
// so that the upstream call is cancelled. Arming leaves a wait for
// readability pending (Asio re-registers the socket with epoll for it, so a
// close that came with the request wakes it at once): it costs no read when
// the next request arrives (the session's read, queued behind it, takes the
// bytes), and only a wake-up while a request is in flight is peeked at, to
// tell a close from a pipelined request. One syscall a request, where a
// pending peek read cost two. Ending a request needs no cancel (which would
// cost a trip through the event loop on every request). Its handler may run
// after the request, or the session, has ended: it holds the shared state,
// and touches the socket only while a request is in flight.
class ClientCloseWatch {
 public:
  explicit ClientCloseWatch(tcp::socket& socket) : socket_(socket), state_(std::make_shared<State>()) {}

  void arm(std::function<void()> on_close) {
    state_->active = true;
    state_->on_close = std::move(on_close);
    if (state_->pending || state_->closed) return;
    wait(socket_, state_);
  }

  void disarm() {
    state_->active = false;
    state_->on_close = nullptr;
  }

  bool client_closed() const { return state_->closed; }

 private:
  struct State {
    bool active = false;
    bool pending = false;
    bool closed = false;
    std::function<void()> on_close;
  };
  enum class Peeked { nothing, bytes, closed };

  // The socket outlives the wait's use of it: the handler touches it only
  // while a request is in flight, and the session's socket outlives its requests.
  static void wait(tcp::socket& socket, const std::shared_ptr<State>& state) {
    state->pending = true;
    socket.async_wait(tcp::socket::wait_read, [state, &socket](boost::system::error_code ec) {
      state->pending = false;
      if (ec == net::error::operation_aborted) return;  // the session closed the socket
      // Between requests the bytes are the next request: the session reads them.
      if (!state->active) return;
      if (ec) {
        state->closed = true;
        notify(*state);
      } else if (peek(socket, *state) == Peeked::nothing) {
        wait(socket, state);  // woken with nothing to read: keep watching
      }
    });
  }

  // One non-blocking peek: the client's end of the stream (or an error)
  // marks the state closed and calls back; bytes are a pipelined request,
  // which stays in the socket for the session.
  static Peeked peek(tcp::socket& socket, State& state) {
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return Peeked::bytes;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Peeked::nothing;
    state.closed = true;
    notify(state);
    return Peeked::closed;
  }

  static void notify(State& state) {
    if (!state.active) return;
    state.active = false;
    if (auto cb = std::move(state.on_close)) cb();
  }

  tcp::socket& socket_;
  std::shared_ptr<State> state_;
};

// The session's side of an exchange: writes Beast responses onto the socket.
class SessionSink final : public ResponseSink {
 public:
  SessionSink(tcp::socket& socket, SocketDeadline& deadline, ClientCloseWatch& watch, bool keep_alive, unsigned version,
              bool head, std::chrono::milliseconds write_timeout)
      : socket_(socket), deadline_(deadline), watch_(watch), keep_alive_(keep_alive), version_(version), head_(head), write_timeout_(write_timeout) {}
  ~SessionSink() override { stop_watching(); }

  Task<bool> send(int status, HeaderList headers, std::string body, std::string_view content_type) override {
    ResponseHead head{status, version_, keep_alive_, content_type, body.size(), false};
    const auto bytes = format_response_head(head, headers);
    started_ = true;
    // A HEAD answer has the GET answer's headers and no body.
    const std::array<net::const_buffer, 2> buffers{net::buffer(bytes), net::buffer(body.data(), head_ ? 0 : body.size())};
    co_return co_await write_bounded(buffers);
  }

  // The head waits for the stream's first bytes and goes out in the same
  // write: one send fewer per streamed answer (a provider's first event
  // follows its head closely).
  Task<bool> begin_stream(int status, HeaderList headers, std::string_view content_type) override {
    ResponseHead head{status, version_, keep_alive_, content_type, std::nullopt, true};
    pending_head_ = format_response_head(head, headers);
    started_ = true;
    co_return !failed();
  }

  Task<bool> write(std::string_view bytes) override {
    if (failed()) co_return false;
    if (bytes.empty()) co_return true;
    co_return co_await write_chunk(bytes, {});
  }

  Task<bool> end_stream(std::string_view last_bytes) override {
    if (failed()) co_return false;
    co_return co_await write_chunk(last_bytes, kLastChunk);
  }

  bool started() const override { return started_; }
  bool failed() const { return failed_ || watch_.client_closed(); }

  void watch_client_close(std::function<void()> on_close) override { watch_.arm(std::move(on_close)); }
  void stop_watching() override { watch_.disarm(); }
  std::string why_gone() const override {
    return cut_off_ ? "the client took nothing for " + std::to_string(write_timeout_.count()) +
                          " ms: the gateway closed the connection"
                    : ResponseSink::why_gone();
  }

 private:
  // Any pending head, `bytes` as one chunk (if not empty), then `trailer`, in one gathered write.
  Task<bool> write_chunk(std::string_view bytes, std::string_view trailer) {
    char size_buf[24];
    const bool chunk = !bytes.empty();
    const std::array<net::const_buffer, 5> parts{
        net::buffer(pending_head_), net::buffer(chunk ? chunk_size_line(bytes.size(), size_buf) : std::string_view()),
        net::buffer(bytes.data(), bytes.size()), net::buffer(chunk ? kCrLf : std::string_view()), net::buffer(trailer)};
    const bool ok = co_await write_bounded(parts);
    pending_head_.clear();
    co_return ok;
  }

  // A write the client must take within write_timeout_; on timeout the
  // deadline closes the socket, and the failed write cancels the upstream
  // call. No deadline runs between writes: a stream may wait on its upstream
  // for as long as the upstream's own timeouts allow.
  // Most writes fit in the socket's send buffer: they are tried at once, with
  // no timer and no suspension; only the rest of a write that does not fit
  // waits, under the timeout.
  template <class Buffers>
  Task<bool> write_bounded(const Buffers& buffers) {
    if (failed()) co_return false;
    beast::buffers_suffix<Buffers> rest(buffers);
    auto ec = write_now(socket_, rest);
    if (!ec && beast::buffer_bytes(rest) > 0) {
      deadline_.expires_after(write_timeout_);
      std::tie(ec, std::ignore) = co_await net::async_write(socket_, rest, nothrow);
      deadline_.expires_never();
      if (ec && deadline_.expired()) {
        spdlog::info("client took nothing for {} ms: connection closed", write_timeout_.count());
        cut_off_ = true;
      }
    }
    failed_ = failed_ || ec;
    co_return !ec;
  }

  tcp::socket& socket_;
  SocketDeadline& deadline_;
  ClientCloseWatch& watch_;
  bool keep_alive_;
  unsigned version_;
  bool head_;
  std::chrono::milliseconds write_timeout_;
  bool cut_off_ = false;  // a write timed out and the gateway closed the connection
  bool started_ = false;
  bool failed_ = false;
  std::string pending_head_;  // a stream's head, not yet written
};

}  // namespace

bool listen_address_taken(const std::string& address, std::uint16_t port) {
  if (port == 0) return false;
  boost::system::error_code ec;
  const auto ip = net::ip::make_address(address, ec);
  if (ec) return false;  // listen() reports the bad address
  net::io_context io;
  tcp::acceptor probe(io);
  tcp::endpoint ep(ip, port);
  probe.open(ep.protocol(), ec);
  if (!ec) probe.set_option(net::socket_base::reuse_address(true), ec);  // a TIME_WAIT leftover is not a listener
  if (!ec) probe.bind(ep, ec);
  return ec == net::error::address_in_use;
}

HttpServer::HttpServer(net::io_context& io, ServerOptions options, RequestHandler& handler)
    : io_(io), options_(std::move(options)), handler_(handler), acceptor_(io), connection_freed_(io) {}

HttpServer::~HttpServer() = default;

Status HttpServer::listen() {
  boost::system::error_code ec;
  auto address = net::ip::make_address(options_.address, ec);
  if (ec) return make_error(Errc::internal, "listen address \"" + options_.address + "\" is not an IP address");
  tcp::endpoint ep(address, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec.assign(errno, boost::system::system_category());
  }
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::internal, "cannot listen on " + options_.address + ":" +
                                                std::to_string(options_.port) + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  return Ok{};
}

void HttpServer::start() { net::co_spawn(io_, accept_loop(), net::detached); }

void HttpServer::stop_accepting() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  connection_freed_.cancel();
}

Task<void> HttpServer::accept_loop() {
  auto last_warning = std::chrono::steady_clock::time_point();
  while (acceptor_.is_open()) {
    if (open_connections_ >= options_.max_connections) {
      // At the cap: leave new connections in the kernel's backlog until one closes.
      connection_freed_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await connection_freed_.async_wait(nothrow);
      continue;
    }
    auto [ec, socket] = co_await acceptor_.async_accept(nothrow);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_warning > std::chrono::seconds(1)) {
        spdlog::warn("accept failed: {}", ec.message());
        last_warning = now;
      }
      // Out of descriptors (or another resource): back off instead of spinning
      // on a listen socket that stays readable.
      connection_freed_.expires_after(std::chrono::milliseconds(50));
      co_await connection_freed_.async_wait(nothrow);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++open_connections_;
    net::co_spawn(io_, session(std::move(socket)), [this](std::exception_ptr) {
      --open_connections_;
      connection_freed_.cancel();
    });
  }
}

Task<boost::system::error_code> HttpServer::send_continue(tcp::socket& socket, SocketDeadline& deadline) {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  beast::buffers_suffix<net::const_buffer> rest(net::buffer(kContinue));
  auto ec = write_now(socket, rest);
  if (!ec && beast::buffer_bytes(rest) > 0) {
    deadline.expires_after(options_.write_timeout);
    std::tie(ec, std::ignore) = co_await net::async_write(socket, rest, nothrow);
  }
  // The body's time counts from the go-ahead.
  deadline.expires_after(options_.read_timeout);
  co_return ec;
}

Task<void> HttpServer::reject_and_close(tcp::socket& socket, SocketDeadline& deadline, int status, std::string why) {
  auto [code, json] = handler_.reject(status, why);
  http::response<http::string_body> res{static_cast<http::status>(code), 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.body() = std::move(json);
  res.prepare_payload();
  deadline.expires_after(options_.write_timeout);
  co_await http::async_write(socket, res, nothrow);
}

Task<void> HttpServer::linger_and_close(tcp::socket& socket, SocketDeadline& deadline, beast::flat_buffer& buffer) {
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  buffer.clear();
  std::array<char, 16384> scratch;
  deadline.expires_after(options_.linger);
  while (!ec) {
    std::size_t n = 0;
    std::tie(ec, n) = co_await socket.async_read_some(net::buffer(scratch), nothrow);
  }
  socket.close(ec);
}

Task<void> HttpServer::session(tcp::socket socket) {
  beast::flat_buffer buffer;
  SocketDeadline deadline(socket.get_executor(), socket);
  ClientCloseWatch watch(socket);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    boost::system::error_code ec;
    std::size_t n = 0;
    if (buffer.size() == 0) {
      // Idle until the request's first bytes (the read Beast would make first).
      deadline.expires_after(options_.idle_timeout);
      std::tie(ec, n) = co_await socket.async_read_some(buffer.prepare(beast::read_size(buffer, 65536)), nothrow);
      buffer.commit(n);
    }
    if (!ec && !parse_buffered(parser, buffer, ec) && !ec) {
      deadline.expires_after(options_.read_timeout);
      if (!parser.is_header_done()) std::tie(ec, n) = co_await http::async_read_header(socket, buffer, parser, nothrow);
      // A client that asked to be told before it sends its body (curl does for
      // bodies over 1 MB) would otherwise wait a second for the go-ahead.
      if (!ec && !parser.is_done() && expects_continue(parser.get())) ec = co_await send_continue(socket, deadline);
      if (!ec && !parser.is_done() && !parse_buffered(parser, buffer, ec) && !ec)
        std::tie(ec, n) = co_await http::async_read(socket, buffer, parser, nothrow);
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      // Built outside the co_await: g++ 12 destroys ?: temporaries there twice.
      const bool body = ec == http::error::body_limit;
      std::string why = body ? "the request body is larger than the limit of " +
                                   std::to_string(options_.max_body_bytes) + " bytes"
                             : std::string("the request headers are too large");
      co_await reject_and_close(socket, deadline, body ? 413 : 431, std::move(why));
      co_await linger_and_close(socket, deadline, buffer);
      co_return;
    }
    if (ec) {
      const bool client_went_away = ec == http::error::end_of_stream || ec == net::error::eof ||
                                    deadline.expired() || ec == net::error::connection_reset ||
                                    ec == net::error::operation_aborted;
      if (!client_went_away) {
        std::string why = "malformed HTTP request: " + ec.message();
        co_await reject_and_close(socket, deadline, 400, std::move(why));
        co_await linger_and_close(socket, deadline, buffer);
        co_return;
      }
      break;
    }
    auto& req = parser.get();
    // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host is refused,
    // as nginx does; HTTP/1.0 has no Host requirement.
    if (req.version() >= 11 && req.count(http::field::host) != 1) {
      std::string why = "malformed HTTP request: an HTTP/1.1 request needs exactly one Host header";
      co_await reject_and_close(socket, deadline, 400, std::move(why));
      co_await linger_and_close(socket, deadline, buffer);
      co_return;
    }
    deadline.expires_never();

    HttpRequest view;
    view.method = req.method_string();
    view.target = req.target();
    view.body = req.body();
    view.header = [&req](std::string_view name) -> std::string_view {
      auto it = req.find(name);
      return it == req.end() ? std::string_view() : std::string_view(it->value());
    };
    SessionSink sink(socket, deadline, watch, req.keep_alive(), req.version(), req.method() == http::verb::head, options_.write_timeout);
    co_await handler_.handle(view, sink);
    sink.stop_watching();
    if (sink.failed() || !req.keep_alive() || !sink.started()) break;
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace fulcrum
