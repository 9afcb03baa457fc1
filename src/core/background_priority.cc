#include "core/background_priority.h"

#if defined(__linux__)
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <string>
#endif

namespace fulcrum {

#if defined(__linux__)
namespace {

// Whether a SCHED_IDLE thread may return to SCHED_OTHER: the kernel treats it
// as nice 19 and asks can_nice(0), i.e. CAP_SYS_NICE or RLIMIT_NICE >= 20.
bool may_raise_again() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NICE, &limit) == 0 && (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= 20)) return true;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    constexpr unsigned long long kCapSysNice = 1ULL << 23;
    const auto first = line.find_first_not_of(" \t", 7);
    unsigned long long caps = 0;
    if (first == std::string::npos) return false;
    std::from_chars(line.data() + first, line.data() + line.size(), caps, 16);
    return (caps & kCapSysNice) != 0;
  }
  return false;
}

bool set_policy(pid_t tid, int policy) {
  sched_param param{};
  param.sched_priority = 0;
  return sched_setscheduler(tid, policy, &param) == 0;
}

}  // namespace

void BackgroundPriority::adopt_self() {
  tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  allowed_ = may_raise_again();
}

void BackgroundPriority::raise() {
  // exchange: of several threads raising at once, one makes the call.
  if (lowered_.exchange(false) && !set_policy(tid_, SCHED_OTHER)) lowered_ = true;
}

void BackgroundPriority::relax() {
  if (allowed_ && !lowered_ && set_policy(tid_, SCHED_IDLE)) lowered_ = true;
}

#else

void BackgroundPriority::adopt_self() {}
void BackgroundPriority::raise() {}
void BackgroundPriority::relax() {}

#endif

}  // namespace fulcrum
