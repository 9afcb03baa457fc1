#pragma once
// A one-shot "stop what you are doing" signal for one request. The client
// side (server session) calls abort() when the client disconnects; whatever
// the request is currently waiting on (connect, upstream response, backoff
// timer) installs an on_abort hook that cancels that wait. Single-threaded:
// lives on the request's worker thread.
#include <functional>
#include <utility>

namespace fulcrum {

class AbortHandle {
 public:
  bool aborted() const { return aborted_; }

  void abort() {
    if (aborted_) return;
    aborted_ = true;
    if (auto f = std::exchange(on_abort_, nullptr)) f();
  }

  // Installs the hook for the current wait (replacing any earlier one).
  void on_abort(std::function<void()> hook) { on_abort_ = std::move(hook); }
  void clear() { on_abort_ = nullptr; }

 private:
  bool aborted_ = false;
  std::function<void()> on_abort_;
};

}  // namespace fulcrum
