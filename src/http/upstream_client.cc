#include "http/upstream_client.h"

#include <array>

#include <boost/asio/ssl/host_name_verification.hpp>

#include "http/buffered_parse.h"
#include "http/wire_format.h"
#include "http/write_now.h"

namespace fulcrum {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

std::string origin_key(const Provider& p) { return (p.tls ? "https://" : "http://") + p.host + ":" + p.port; }

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

bool is_stale_connection_error(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

// Over plain TCP the request is written at once (write_now.h); what does not
// fit, and anything over TLS, waits under the connection's deadline.
Task<boost::system::error_code> write_all(UpstreamStream& stream, const std::array<net::const_buffer, 2>& bytes) {
  beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(bytes);
  boost::system::error_code ec;
  if (!stream.is_tls()) {
    ec = write_now(stream.socket(), rest);
    if (ec || beast::buffer_bytes(rest) == 0) co_return ec;
  }
  std::tie(ec, std::ignore) = co_await net::async_write(stream, rest, nothrow);
  co_return ec;
}

}  // namespace

// Idle connections and the count of open ones for one origin on one thread.
class UpstreamPool {
 public:
  explicit UpstreamPool(int max_connections) : max_(max_connections) {}

  void set_max(int max_connections) { max_ = max_connections; }

  std::unique_ptr<UpstreamConnection> take_idle() {
    if (idle_.empty()) return nullptr;
    auto c = std::move(idle_.back());  // most recently used: least likely closed by the peer
    idle_.pop_back();
    return c;
  }
  bool may_open() const { return open_ < static_cast<std::size_t>(max_); }
  void opened() { ++open_; }

  void release(std::unique_ptr<UpstreamConnection> c, bool reusable) {
    if (reusable && idle_.size() < static_cast<std::size_t>(max_)) {
      idle_.push_back(std::move(c));
    } else {
      c->stream.close();
      closed();
    }
    wake_one();
  }
  void closed() {
    --open_;
    wake_one();
  }

  // Waits until a connection is released or `deadline` passes.
  Task<bool> wait(Clock::time_point deadline, AbortHandle& abort) {
    auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor, deadline);
    waiters_.push_back(timer);
    abort.on_abort([timer] { timer->cancel(); });
    auto [ec] = co_await timer->async_wait(nothrow);
    abort.clear();
    std::erase(waiters_, timer);
    co_return ec == net::error::operation_aborted;  // woken, not timed out
  }

 private:
  void wake_one() {
    if (!waiters_.empty()) {
      waiters_.front()->cancel();
      waiters_.pop_front();
    }
  }

  int max_;
  std::size_t open_ = 0;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;
  std::deque<std::shared_ptr<net::steady_timer>> waiters_;
};

UpstreamCall::UpstreamCall(std::shared_ptr<UpstreamPool> pool, std::unique_ptr<UpstreamConnection> conn,
                           Clock::time_point deadline, AbortHandle& abort)
    : pool_(std::move(pool)), conn_(std::move(conn)), deadline_(deadline), abort_(abort) {
  parser_.body_limit(boost::none);  // limits are the caller's, per read_body()
  abort_.on_abort([this] { this->abort(); });
}

UpstreamCall::~UpstreamCall() {
  abort_.clear();
  if (!conn_) return;
  conn_->deadline.expires_never();  // an idle pooled connection waits without one
  const bool reusable = !aborted_ && !failed_ && parser_.is_done() && parser_.keep_alive() &&
                        conn_->buffer.size() == 0;
  if (reusable) ++conn_->requests_served;
  pool_->release(std::move(conn_), reusable);
}

std::string_view UpstreamCall::header(std::string_view name) const {
  const auto& h = parser_.get();
  auto it = h.find(name);
  return it == h.end() ? std::string_view() : std::string_view(it->value());
}

bool UpstreamCall::is_event_stream() const {
  return header("content-type").substr(0, 17) == "text/event-stream";
}

void UpstreamCall::abort() {
  aborted_ = true;
  if (conn_) conn_->stream.close();
}

Error UpstreamCall::read_error(const boost::system::error_code& ec) const {
  if (aborted_ || abort_.aborted()) return make_error(Errc::client_closed, "the client closed the connection");
  if (conn_ && conn_->deadline.expired())
    return make_error(Errc::upstream_timeout, "the upstream did not finish its response within the total timeout");
  return make_error(Errc::upstream_unreachable, "the upstream connection failed mid-response: " + ec.message());
}

Task<Result<bool>> UpstreamCall::read_some(std::string& out) {
  if (parser_.is_done()) co_return false;
  if (aborted_) co_return read_error({});
  auto& body = parser_.get().body();
  body.clear();
  // What came with the head (a whole small answer, often) needs no read.
  boost::system::error_code ec;
  if (conn_->buffer.size() == 0 || (!parse_buffered(parser_, conn_->buffer, ec) && !ec && body.empty())) {
    conn_->deadline.expires_at(deadline_);
    std::tie(ec, std::ignore) = co_await http::async_read_some(conn_->stream, conn_->buffer, parser_, nothrow);
    // The parser stops after each chunk of a chunked body. A burst of SSE events
    // usually arrives in one read: parse all of it now, so that the caller relays
    // the burst with one client write rather than one write (and syscall) per event.
    if (!ec) parse_buffered(parser_, conn_->buffer, ec);
  }
  if (ec) {
    failed_ = true;
    co_return read_error(ec);
  }
  out.append(body);
  body.clear();
  co_return !parser_.is_done();
}

Task<Result<std::string>> UpstreamCall::read_body(std::size_t limit) {
  std::string out;
  for (;;) {
    auto more = co_await read_some(out);
    if (!more) co_return std::move(more).error();
    if (out.size() > limit) {
      failed_ = true;
      co_return make_error(Errc::upstream_bad_response,
                           "the upstream response is larger than " + std::to_string(limit) + " bytes");
    }
    if (!more.value()) co_return out;
  }
}

UpstreamClient::UpstreamClient(net::any_io_executor ex)
    : ex_(ex), tls_(net::ssl::context::tls_client) {
  tls_.set_default_verify_paths();
  tls_.set_verify_mode(net::ssl::verify_peer);
}

UpstreamClient::~UpstreamClient() = default;

std::shared_ptr<UpstreamPool> UpstreamClient::pool_for(const Provider& p) {
  auto key = origin_key(p);
  auto it = pools_.find(key);
  if (it == pools_.end()) it = pools_.emplace(key, std::make_shared<UpstreamPool>(p.max_connections)).first;
  it->second->set_max(p.max_connections);
  return it->second;
}

Task<Result<std::unique_ptr<UpstreamConnection>>> UpstreamClient::connect(const Provider& p, Clock::time_point deadline,
                                                                          AbortHandle& abort) {
  const auto connect_deadline = std::min(deadline, Clock::now() + p.timeouts.connect);
  struct ClearHook {
    AbortHandle& handle;
    ~ClearHook() { handle.clear(); }
  } clear_hook{abort};  // the hooks below point at locals of this frame
  // The resolver has no timeout of its own: a timer cancels it.
  auto resolver = std::make_shared<tcp::resolver>(ex_);
  net::steady_timer resolve_timer(ex_, connect_deadline);
  resolve_timer.async_wait([resolver](boost::system::error_code ec) {
    if (!ec) resolver->cancel();
  });
  abort.on_abort([resolver] { resolver->cancel(); });
  auto [rec, endpoints] = co_await resolver->async_resolve(p.host, p.port, nothrow);
  resolve_timer.cancel();
  abort.clear();
  if (abort.aborted()) co_return make_error(Errc::client_closed, "the client closed the connection");
  if (rec) {
    if (rec == net::error::operation_aborted)
      co_return make_error(Errc::upstream_timeout, "resolving " + p.host + " took longer than the connect timeout of " + ms(p.timeouts.connect));
    co_return make_error(Errc::upstream_unreachable, "cannot resolve " + p.host + ": " + rec.message());
  }
  auto conn = std::make_unique<UpstreamConnection>(p.tls ? UpstreamStream(ex_, tls_) : UpstreamStream(ex_));
  conn->deadline.expires_at(connect_deadline);
  abort.on_abort([s = &conn->stream] { s->close(); });
  // Each address is tried in turn (the socket reopened for it) until the deadline closes it.
  const auto before_deadline = [d = &conn->deadline](const boost::system::error_code&, const tcp::endpoint&) {
    return !d->expired();
  };
  auto [cec, ep] = co_await net::async_connect(conn->stream.socket(), endpoints, before_deadline, nothrow);
  if (abort.aborted()) co_return make_error(Errc::client_closed, "the client closed the connection");
  if (conn->deadline.expired())
    co_return make_error(Errc::upstream_timeout, "connecting to " + p.host + ":" + p.port + " took longer than " + ms(p.timeouts.connect));
  if (cec) co_return make_error(Errc::upstream_unreachable, "cannot connect to " + p.host + ":" + p.port + ": " + cec.message());
  boost::system::error_code ignored;
  conn->stream.socket().set_option(tcp::no_delay(true), ignored);
  if (auto* tls = conn->stream.tls()) {
    if (!SSL_set_tlsext_host_name(tls->native_handle(), p.host.c_str()))
      co_return make_error(Errc::upstream_unreachable, "cannot set TLS SNI for " + p.host);
    tls->set_verify_callback(net::ssl::host_name_verification(p.host));
    auto [hec] = co_await tls->async_handshake(net::ssl::stream_base::client, nothrow);
    if (abort.aborted()) co_return make_error(Errc::client_closed, "the client closed the connection");
    if (conn->deadline.expired())
      co_return make_error(Errc::upstream_timeout, "the TLS handshake with " + p.host + " took longer than " + ms(p.timeouts.connect));
    if (hec) co_return make_error(Errc::upstream_unreachable, "TLS handshake with " + p.host + " failed: " + hec.message());
  }
  abort.clear();
  co_return conn;
}

Task<Result<std::unique_ptr<UpstreamResponse>>> UpstreamClient::start(const Provider& p, const UpstreamRequest& r,
                                                                       AbortHandle& abort) {
  const auto closed = [] { return make_error(Errc::client_closed, "the client closed the connection"); };
  const auto deadline = Clock::now() + p.timeouts.total;
  auto pool = pool_for(p);

  const bool default_port = (p.port == "80" && !p.tls) || (p.port == "443" && p.tls);
  const auto head = format_post_head(r.target, default_port ? p.host : p.host + ":" + p.port,
                                     r.expect_event_stream ? "text/event-stream" : "application/json", r.bearer,
                                     r.body.size(), r.extra_headers);
  const std::array<net::const_buffer, 2> request_bytes{net::buffer(head), net::buffer(r.body)};

  // Attempt 0 may use an idle pooled connection; if that one turns out to be
  // closed by the peer before any response byte, attempt 1 uses a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<UpstreamConnection> conn = attempt == 0 ? pool->take_idle() : nullptr;
    const bool reused = conn != nullptr;
    while (!conn) {
      if (abort.aborted()) co_return closed();
      if (pool->may_open()) {
        pool->opened();
        auto fresh = co_await connect(p, deadline, abort);
        if (!fresh) {
          pool->closed();
          co_return std::move(fresh).error();
        }
        conn = std::move(fresh.value());
      } else if (!co_await pool->wait(std::min(deadline, Clock::now() + p.timeouts.connect), abort)) {
        co_return make_error(Errc::upstream_timeout, "all " + std::to_string(p.max_connections) +
                                                         " connections to provider " + p.name + " stayed busy for the connect timeout of " + ms(p.timeouts.connect));
      } else {
        conn = pool->take_idle();
      }
    }

    conn->deadline.expires_at(std::min(deadline, Clock::now() + p.timeouts.first_byte));
    auto call = std::make_unique<UpstreamCall>(pool, std::move(conn), deadline, abort);
    auto wec = co_await write_all(call->conn_->stream, request_bytes);
    boost::system::error_code hec = wec;
    if (!wec) {
      auto [ec, n] = co_await http::async_read_header(call->conn_->stream, call->conn_->buffer, call->parser_, nothrow);
      hec = ec;
    }
    if (!hec) co_return std::unique_ptr<UpstreamResponse>(std::move(call));
    call->failed_ = true;
    if (abort.aborted()) co_return closed();
    if (reused && !call->parser_.got_some() && is_stale_connection_error(hec)) continue;
    if (call->conn_->deadline.expired())
      co_return make_error(Errc::upstream_timeout, "provider " + p.name + " sent no response head within " +
                                                       ms(std::min(p.timeouts.first_byte, p.timeouts.total)));
    co_return make_error(Errc::upstream_unreachable, "provider " + p.name + " (" + p.host + ":" + p.port +
                                                         ") failed before answering: " + hec.message());
  }
  co_return make_error(Errc::upstream_unreachable, "provider " + p.name + " closed two connections in a row before answering");
}

}  // namespace fulcrum
