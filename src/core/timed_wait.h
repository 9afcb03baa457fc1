#pragma once
// Waiting on an atomic word with a time limit, which std::atomic::wait lacks.
//
// The ledger's writer gathers a burst for a while, and the record that makes
// the burst urgent must be able to end the wait at once. A condition variable
// loses a notice that comes between the waiter's check and its wait unless the
// notifier takes the waiter's mutex, and the waiter runs at idle priority: a
// request thread must never wait on a lock such a thread holds. A futex checks
// the word and sleeps in one step, so nothing is lost and nobody locks.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace fulcrum {

// Sleeps while `word` holds `expected`, at most `limit`; returns on a change
// announced by wake_waiters(), on the limit, or spuriously (callers loop).
void wait_while_equal(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds limit);
// Wakes every thread in wait_while_equal() on `word` (call it after changing the word).
void wake_waiters(std::atomic<std::uint32_t>& word);

}  // namespace fulcrum
