// The fake upstream as a program, for the e2e tests and load benchmarks:
//   fake_upstream [PORT] [THREADS]   prints "fake upstream listening on PORT" and serves until killed.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "fakes/fake_upstream.h"

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // threads inherit: only sigwait sees them
  fulcrum::testing::FakeUpstream fake(port, threads);
  std::printf("fake upstream listening on %u\n", fake.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
