#pragma once
// HTTP/1.1 server on one worker thread's io_context: an acceptor (with
// SO_REUSEPORT, so every worker binds the same port and the kernel spreads
// connections) and one coroutine per connection that reads requests and
// hands them to a RequestHandler.
//
// Threading: all of a server's work runs on the io_context it was built with.
// Lifetime: the handler must outlive the io_context's run().
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/asio.h"
#include "http/exchange.h"

namespace fulcrum {

class SocketDeadline;

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0 picks a free port; port() tells which
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 64 * 1024;
  // A connection waiting for its next request's first byte is closed after
  // idle_timeout; once a request has begun, its head and body must all arrive
  // within read_timeout (nginx's client_header_timeout): a client that trickles
  // a header a byte at a time holds its connection no longer than that.
  std::chrono::milliseconds idle_timeout{120000};
  std::chrono::milliseconds read_timeout{60000};
  // A response write that makes no progress for this long cuts the client
  // off (a client that stopped reading a stream holds no upstream call).
  std::chrono::milliseconds write_timeout{30000};
  // Open connections on this server; at the cap it stops accepting (the
  // kernel's backlog holds new ones) until one closes, as nginx does.
  std::size_t max_connections = 10000;
  // After answering a request it will not read (413, 431, 400), the server
  // reads and discards what the client still sends, for at most this long,
  // before closing: closing with unread bytes would reset the connection and
  // the client would never read the answer.
  std::chrono::milliseconds linger{5000};
};

// Whether another socket already listens on address:port (any process,
// SO_REUSEPORT or not): a plain bind is tried and released. Port 0 never is.
bool listen_address_taken(const std::string& address, std::uint16_t port);

class HttpServer {
 public:
  HttpServer(net::io_context& io, ServerOptions options, RequestHandler& handler);
  ~HttpServer();

  // Binds and listens; the bound port is then port().
  Status listen();
  std::uint16_t port() const { return port_; }

  // Starts accepting on the io_context (returns at once).
  void start();

  // Stops accepting new connections; existing ones finish their request.
  void stop_accepting();

 private:
  Task<void> accept_loop();
  Task<void> session(tcp::socket socket);
  // "100 Continue", for a request whose client waits for it before its body.
  Task<boost::system::error_code> send_continue(tcp::socket& socket, SocketDeadline& deadline);
  // Answers a request that could not be read whole, then the caller closes.
  Task<void> reject_and_close(tcp::socket& socket, SocketDeadline& deadline, int status, std::string why);

  // Reads and drops the client's remaining bytes until it closes or `linger` passes.
  Task<void> linger_and_close(tcp::socket& socket, SocketDeadline& deadline, beast::flat_buffer& buffer);

  net::io_context& io_;
  ServerOptions options_;
  RequestHandler& handler_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::size_t open_connections_ = 0;
  net::steady_timer connection_freed_;  // the accept loop waits on it while at the cap
};

}  // namespace fulcrum
