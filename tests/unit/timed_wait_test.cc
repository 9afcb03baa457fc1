#include "core/timed_wait.h"

#include <gtest/gtest.h>

#include <thread>

namespace fulcrum {
namespace {

using std::chrono::steady_clock;

// Loops as a caller must (the wait may return early), until the word changes or `limit` passes.
steady_clock::duration wait_for_change(std::atomic<std::uint32_t>& word, std::uint32_t from, steady_clock::duration limit) {
  const auto start = steady_clock::now();
  for (auto now = start; word.load() == from && now < start + limit; now = steady_clock::now())
    wait_while_equal(word, from, start + limit - now);
  return steady_clock::now() - start;
}

TEST(TimedWait, AChangeAnnouncedWhileWaitingEndsTheWait) {
  std::atomic<std::uint32_t> word{1};
  std::thread changer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    word.store(2);
    wake_waiters(word);
  });
  const auto waited = wait_for_change(word, 1, std::chrono::seconds(60));
  changer.join();
  EXPECT_EQ(word.load(), 2u);
  EXPECT_LT(waited, std::chrono::seconds(30)) << "the wait ran to its limit: the change was not seen";
}

TEST(TimedWait, AChangeMadeBeforeTheWaitIsNotMissed) {
  // The notice came first (no one was waiting yet): the wait must not sleep.
  std::atomic<std::uint32_t> word{2};
  wake_waiters(word);
  const auto waited = wait_for_change(word, 1, std::chrono::seconds(60));
  EXPECT_LT(waited, std::chrono::seconds(30));
}

TEST(TimedWait, NoChangeReturnsAtTheLimit) {
  std::atomic<std::uint32_t> word{1};
  const auto waited = wait_for_change(word, 1, std::chrono::milliseconds(30));
  EXPECT_GE(waited, std::chrono::milliseconds(30));
  EXPECT_EQ(word.load(), 1u);
}

}  // namespace
}  // namespace fulcrum
