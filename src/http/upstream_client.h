#pragma once
// HTTP/1.1 client to upstream providers with keep-alive connection pools.
//
// One UpstreamClient per worker thread (pools are not shared between threads,
// so they need no locks). Pools are keyed by origin (scheme, host, port); each
// keeps at most `max_connections` open connections, and callers beyond that
// wait for one to be released. TLS verifies the peer against the system CA
// store and checks the host name (SNI is sent).
//
// Cancellation: aborting the AbortHandle given to start() closes whatever
// connection the request uses (during start() and for the UpstreamCall's
// life); the waiting coroutine completes with Errc::client_closed.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ssl/context.hpp>

#include "config/config.h"
#include "core/abort_handle.h"
#include "core/result.h"
#include "http/asio.h"
#include "http/upstream.h"
#include "http/socket_deadline.h"
#include "http/upstream_response.h"
#include "http/upstream_stream.h"

namespace fulcrum {

class UpstreamPool;

// An upstream connection with the state that survives between requests.
struct UpstreamConnection {
  explicit UpstreamConnection(UpstreamStream s) : stream(std::move(s)), deadline(stream.get_executor(), stream.socket()) {}
  UpstreamStream stream;
  SocketDeadline deadline;  // the connect, first-byte or total deadline of the call using it; none while idle
  beast::flat_buffer buffer;
  int requests_served = 0;
};

// One in-flight request. Not copyable; owns its connection until destroyed,
// when the connection goes back to its pool if the response was read whole
// and the upstream allows keep-alive, and is closed otherwise.
class UpstreamCall final : public UpstreamResponse {
 public:
  UpstreamCall(std::shared_ptr<UpstreamPool> pool, std::unique_ptr<UpstreamConnection> conn,
               std::chrono::steady_clock::time_point deadline, AbortHandle& abort);
  ~UpstreamCall() override;
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  int status() const override { return parser_.get().result_int(); }
  std::string_view header(std::string_view name) const override;
  bool is_event_stream() const override;

  // Reads the rest of the body (at most `limit` bytes).
  Task<Result<std::string>> read_body(std::size_t limit) override;
  // Appends the next bytes of the body to `out` (all that has arrived); returns
  // whether more may follow (false once the body is complete).
  Task<Result<bool>> read_some(std::string& out) override;

  // Closes the connection; pending reads complete with Errc::client_closed.
  void abort() override;

 private:
  friend class UpstreamClient;
  Error read_error(const boost::system::error_code& ec) const;

  std::shared_ptr<UpstreamPool> pool_;
  std::unique_ptr<UpstreamConnection> conn_;
  http::response_parser<http::string_body> parser_;
  std::chrono::steady_clock::time_point deadline_;
  AbortHandle& abort_;
  bool aborted_ = false;
  bool failed_ = false;
};

class UpstreamClient final : public Upstream {
 public:
  explicit UpstreamClient(net::any_io_executor ex);
  ~UpstreamClient() override;

  // Connects (or reuses an idle connection), sends the request and waits for
  // the response head. Honors the provider's connect, first-byte and total
  // timeouts. A reused connection that turns out closed is replaced once,
  // transparently.
  // `abort` must outlive the returned call.
  Task<Result<std::unique_ptr<UpstreamResponse>>> start(const Provider& provider, const UpstreamRequest& request,
                                                        AbortHandle& abort) override;

 private:
  std::shared_ptr<UpstreamPool> pool_for(const Provider& provider);
  Task<Result<std::unique_ptr<UpstreamConnection>>> connect(const Provider& p, std::chrono::steady_clock::time_point deadline,
                                                            AbortHandle& abort);

  net::any_io_executor ex_;
  net::ssl::context tls_;
  std::unordered_map<std::string, std::shared_ptr<UpstreamPool>> pools_;
};

}  // namespace fulcrum
