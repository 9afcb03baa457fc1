#include "http/socket_deadline.h"

namespace fulcrum {

SocketDeadline::SocketDeadline(const net::any_io_executor& ex, tcp::socket& socket) : socket_(socket), timer_(ex) {}

SocketDeadline::~SocketDeadline() { *alive_ = false; }

void SocketDeadline::expires_at(Clock::time_point deadline) {
  deadline_ = deadline;
  if (expired_ || deadline == Clock::time_point::max()) return;  // a pending wait finds `never` and stops
  if (deadline < armed_at_) arm(deadline);  // no wait pending (armed_at_ is `never`), or an earlier one
}

void SocketDeadline::arm(Clock::time_point at) {
  const auto generation = ++generation_;
  armed_at_ = at;
  timer_.expires_at(at);  // a superseded wait completes as cancelled, or finds its generation stale
  timer_.async_wait([this, alive = alive_, generation](boost::system::error_code ec) {
    if (!*alive || generation != generation_ || ec == net::error::operation_aborted) return;
    armed_at_ = Clock::time_point::max();  // no wait pending
    if (deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) {
      arm(deadline_);  // the deadline moved later while this wait was pending
      return;
    }
    expired_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);  // pending operations complete with operation_aborted
  });
}

}  // namespace fulcrum
