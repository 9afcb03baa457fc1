#pragma once
// A real redis-server for integration tests (Debian's redis-server package).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "state/state_store.h"

namespace fulcrum::testing {

// A real redis-server on a free loopback port, stopped with the test.
class RedisServer {
 public:
  RedisServer() : RedisServer(0) { start(); }
  ~RedisServer() { stop(); }
  // With a password, clients must AUTH (redis://:PASSWORD@...).
  explicit RedisServer(std::string password) : RedisServer(0) {
    password_ = std::move(password);
    start();
  }
  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      const auto port = std::to_string(port_);
      std::vector<const char*> argv{"redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--loglevel", "warning"};
      if (!password_.empty()) {
        argv.push_back("--requirepass");
        argv.push_back(password_.c_str());
      }
      argv.push_back(nullptr);
      execvp("redis-server", const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    // Ready when it answers PING.
    for (int i = 0; i < 200; ++i) {
      auto store = make_redis_store(url(), std::chrono::milliseconds(100), std::chrono::milliseconds(1), password_);
      if (store && (*store)->get("ping")) return;
      usleep(20000);
    }
    ADD_FAILURE() << "redis-server did not start on port " << port_;
  }
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // A Redis that stops answering (SIGSTOP) and comes back (SIGCONT).
  void pause() { kill(pid_, SIGSTOP); }
  void resume() { kill(pid_, SIGCONT); }

 private:
  explicit RedisServer(int) {  // picks the port; starts nothing
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port_ = a.local_endpoint().port();
  }
  int port_ = 0;
  pid_t pid_ = -1;
  std::string password_;
};

}  // namespace fulcrum::testing
