// SocketDeadline: one timer per connection, moved lazily.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http/socket_deadline.h"

namespace fulcrum {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A connected pair of loopback sockets on one event loop.
struct SocketPair {
  net::io_context io;
  tcp::socket ours{io};
  tcp::socket theirs{io};
  SocketPair() {
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    ours.connect(acceptor.local_endpoint());
    acceptor.accept(theirs);
  }
  // Runs the loop until `done` or `limit` passes; returns the time it took.
  template <class Done>
  Clock::duration run_until(Done done, Clock::duration limit = 3s) {
    const auto started = Clock::now();
    while (!done() && Clock::now() - started < limit) io.run_for(5ms);
    return Clock::now() - started;
  }
};

TEST(SocketDeadline, ClosesTheSocketWhenItPassesAndCutsAPendingRead) {
  SocketPair p;
  SocketDeadline deadline(p.io.get_executor(), p.ours);
  boost::system::error_code read_ec;
  bool read_done = false;
  char byte;
  p.ours.async_read_some(net::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
    read_ec = ec;
    read_done = true;
  });
  deadline.expires_after(100ms);
  const auto took = p.run_until([&] { return read_done; });
  EXPECT_TRUE(read_done);
  EXPECT_TRUE(deadline.expired());
  EXPECT_FALSE(p.ours.is_open());
  EXPECT_EQ(read_ec, net::error::operation_aborted);
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 1500ms);
}

TEST(SocketDeadline, ADeadlineMovedLaterWaitsForTheNewOneAndAnEarlierOneCuts) {
  SocketPair p;
  SocketDeadline deadline(p.io.get_executor(), p.ours);
  const auto started = Clock::now();
  deadline.expires_after(100ms);
  deadline.expires_after(400ms);  // later: the pending wait finds it and waits again
  p.run_until([&] { return deadline.expired(); });
  EXPECT_GE(Clock::now() - started, 390ms) << "closed at the first deadline, not the later one";
  EXPECT_TRUE(deadline.expired());

  SocketPair q;
  SocketDeadline earlier(q.io.get_executor(), q.ours);
  const auto begun = Clock::now();
  earlier.expires_after(2s);
  earlier.expires_after(100ms);  // earlier: re-armed at once
  q.run_until([&] { return earlier.expired(); });
  EXPECT_TRUE(earlier.expired());
  EXPECT_LT(Clock::now() - begun, 1500ms) << "waited for the superseded deadline";
}

TEST(SocketDeadline, NeverAndDestructionLeaveTheSocketOpen) {
  SocketPair p;
  {
    SocketDeadline deadline(p.io.get_executor(), p.ours);
    deadline.expires_after(50ms);
    deadline.expires_never();
    p.run_until([] { return false; }, 200ms);
    EXPECT_FALSE(deadline.expired());
    EXPECT_TRUE(p.ours.is_open());
  }
  // Destroyed with the deadline due: whatever handler is left must not touch the socket.
  SocketPair q;
  {
    SocketDeadline deadline(q.io.get_executor(), q.ours);
    deadline.expires_after(10ms);
    std::this_thread::sleep_for(30ms);
  }
  q.run_until([] { return false; }, 100ms);
  EXPECT_TRUE(q.ours.is_open());
}

}  // namespace
}  // namespace fulcrum
