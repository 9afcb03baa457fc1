#include "core/background_priority.h"

#include <sched.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

// Starts a thread that (maybe) lowers itself, lets another thread (maybe)
// raise it, (maybe) relaxes, and returns the thread's scheduling policy then.
int policy_of_thread_after(BackgroundPriority& priority, bool lower, bool raise_from_outside, bool relax) {
  std::promise<void> lowered, raised;
  std::promise<int> policy;
  std::thread t([&] {
    if (lower) {
      priority.adopt_self();
      priority.relax();
    }
    lowered.set_value();
    raised.get_future().wait();
    if (relax) priority.relax();
    policy.set_value(sched_getscheduler(0));
  });
  lowered.get_future().wait();
  if (raise_from_outside) priority.raise();
  raised.set_value();
  const int result = policy.get_future().get();
  t.join();
  return result;
}

TEST(BackgroundPriority, LowersOnlyWhereItCanRaiseAgain) {
  BackgroundPriority p;
  const int policy = policy_of_thread_after(p, true, false, false);
  if (p.allowed()) {
    EXPECT_EQ(policy, SCHED_IDLE);
    EXPECT_TRUE(p.lowered());
  } else {
    // Without CAP_SYS_NICE or RLIMIT_NICE >= 20 a lowered thread could never come back.
    EXPECT_EQ(policy, SCHED_OTHER);
    EXPECT_FALSE(p.lowered());
  }
}

TEST(BackgroundPriority, ARaiseFromAnotherThreadHoldsUntilRelaxed) {
  BackgroundPriority p;
  EXPECT_EQ(policy_of_thread_after(p, true, true, false), SCHED_OTHER);
  EXPECT_FALSE(p.lowered());
  if (!p.allowed()) GTEST_SKIP() << "this process may not return from SCHED_IDLE, so nothing is lowered";
  BackgroundPriority q;
  EXPECT_EQ(policy_of_thread_after(q, true, true, true), SCHED_IDLE);
  EXPECT_TRUE(q.lowered());
}

TEST(BackgroundPriority, AdoptingLeavesTheThreadAsItIsUntilRelaxed) {
  BackgroundPriority p;
  std::promise<int> adopted, relaxed;
  std::thread([&] {
    p.adopt_self();
    adopted.set_value(sched_getscheduler(0));
    p.relax();
    relaxed.set_value(sched_getscheduler(0));
  }).join();
  EXPECT_EQ(adopted.get_future().get(), SCHED_OTHER);
  EXPECT_EQ(relaxed.get_future().get(), p.allowed() ? SCHED_IDLE : SCHED_OTHER);
  EXPECT_EQ(p.lowered(), p.allowed());
}

}  // namespace
}  // namespace fulcrum
