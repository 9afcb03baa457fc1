#pragma once
// Keeps a thread of deferred work (the ledger's writer) off the request path's CPU.
//
// On a small machine a batch of ledger writes that shares a core with a request
// in flight delays that request by the batch's length: at one connection the
// gateway's p99 doubled while the writer ran at normal priority (bench/RESULTS.md).
// Under Linux's SCHED_IDLE the writer runs only on a core nothing else wants,
// and a woken request thread preempts it at once. Idle time alone could starve
// it under full load, so when its backlog grows another thread raises it back
// to normal priority until the backlog is gone.
//
// Lowering is done only where raising is allowed again later (CAP_SYS_NICE, or
// an RLIMIT_NICE that permits nice 0): a thread that could not be raised again
// stays at normal priority. Elsewhere than Linux nothing changes.

#include <atomic>
#include <sys/types.h>

namespace fulcrum {

class BackgroundPriority {
 public:
  // On the background thread: takes its id, leaving its priority as it is;
  // relax() then lowers it.
  void adopt_self();
  // From any thread: back to normal priority (a no-op unless lowered).
  void raise();
  // On the background thread: lowered (again), if it may be raised again later.
  void relax();
  bool lowered() const { return lowered_.load(std::memory_order_relaxed); }
  // Whether adopt_self() found the thread may be raised again (and so relax() lowers it).
  bool allowed() const { return allowed_.load(std::memory_order_relaxed); }

 private:
  std::atomic<pid_t> tid_{0};
  std::atomic<bool> allowed_{false};
  std::atomic<bool> lowered_{false};
};

}  // namespace fulcrum
