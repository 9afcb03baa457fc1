#pragma once
// Keeps one timer pending about a second ahead on an event loop.
//
// Asio re-programs its timerfd (a syscall) whenever a timer is scheduled that
// is earlier than every pending one. At low load none is pending between
// requests, so each request's timeouts (the client's next read, the upstream's
// deadline) each became the earliest: two syscalls a request, on the path of
// its latency. With this timer always ahead of them they queue silently; it
// costs one wake-up a second. The loop is stopped with io_context::stop(),
// which this pending timer does not hold up.
#include <chrono>

#include <boost/asio/steady_timer.hpp>

namespace fulcrum {

class TimerAnchor {
 public:
  explicit TimerAnchor(boost::asio::any_io_executor ex) : timer_(std::move(ex)) {}
  void start() { arm(); }

 private:
  void arm() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) arm();
    });
  }
  boost::asio::steady_timer timer_;
};

}  // namespace fulcrum
