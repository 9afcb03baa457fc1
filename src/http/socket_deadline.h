#pragma once
// A connection's deadline: the socket is closed when it passes.
//
// Beast's tcp_stream arms a timer for every read and write and cancels it when
// the operation completes: two timer-queue updates and an extra handler run
// through the event loop per operation, ten or more a streamed answer. Here one
// timer serves the connection's life, and moving the deadline later (the
// common case: the next request's idle or first-byte deadline) changes a field
// only; the timer, when it fires early, waits again for the new deadline. Only
// a deadline earlier than the pending wait re-arms the timer.
//
// An operation cut off by the deadline completes with the error closing the
// socket gives it (operation_aborted, mostly): callers ask expired() to tell a
// timeout from the peer's doing. The socket must outlive this object; it is
// not touched after this object is destroyed.
#include <chrono>
#include <cstdint>
#include <memory>

#include "http/asio.h"

namespace fulcrum {

class SocketDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  SocketDeadline(const net::any_io_executor& ex, tcp::socket& socket);
  ~SocketDeadline();
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;

  void expires_at(Clock::time_point deadline);
  void expires_after(Clock::duration d) { expires_at(Clock::now() + d); }
  void expires_never() { expires_at(Clock::time_point::max()); }

  // The deadline passed and the socket was closed.
  bool expired() const { return expired_; }

 private:
  void arm(Clock::time_point at);

  tcp::socket& socket_;
  net::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_at_ = Clock::time_point::max();  // the pending wait's expiry; `never`: none pending
  bool expired_ = false;
  std::uint64_t generation_ = 0;  // tells the current wait's handler from a superseded one
  // False once this object is gone: a handler already queued must not touch it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fulcrum
