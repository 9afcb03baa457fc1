#pragma once
// The request ledger: every finished request and every feedback, in SQLite
// (WAL, the embedded default) or in a PostgreSQL database every replica
// shares. Requests reach it through a bounded in-memory queue that one writer
// thread drains in batches, one transaction per batch, so the request path
// never waits on the database. A record is durable once its batch commits:
// about `flush_interval` plus one commit after the request ended. When the
// queue is full, records are dropped and counted, never blocking a request.
// When the database cannot be reached (PostgreSQL restarting, the network),
// the writer keeps its batch and sends it again with backoff: nothing
// accepted is lost unless the queue fills meanwhile (dropped, counted) or the
// database is still away when the process stops (lost, counted). The
// destructor drains the queue.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/background_priority.h"
#include "core/result.h"
#include "config/ledger_location.h"
#include "ledger/ledger_store.h"
#include "ledger/recent_requests.h"
#include "ledger/sql_connection.h"
#include "accounting/request_record.h"

namespace fulcrum {

struct LedgerOptions {
  LedgerLocation where;
  std::size_t queue_capacity = 100000;
  // A burst gathers this long (or until kGatherLimit records), then commits.
  std::chrono::milliseconds flush_interval{20};
  std::int64_t max_bytes = 0;  // SQLite, > 0: the file stops growing here; records past it fail (and are counted)
  std::int64_t prompt_retention_ms = 30LL * 86400000;  // captured prompts older than this are deleted
  std::chrono::milliseconds retry_max{5000};   // database unreachable: the longest wait between tries
  std::chrono::milliseconds stop_grace{5000};  // at shutdown: how long to keep trying an unreachable database
};

class Ledger final : public RequestObserver, public FeedbackStore {
 public:
  static Result<std::unique_ptr<Ledger>> open(const LedgerOptions& options);
  ~Ledger() override;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  void on_request_done(const RequestRecord& record) override;  // enqueues
  Result<std::optional<FeedbackTarget>> find_request(std::string_view request_id) override;
  std::optional<FeedbackRecord::Verdict> store(const FeedbackRecord& feedback) override;  // enqueues
  void expect(const std::string& request_id, const FeedbackTarget& target) override;

  // Blocks until everything enqueued before the call is committed (or given up).
  // With the database away this waits for it: at shutdown, close() instead.
  void flush();
  // Writes what is queued, waiting at most stop_grace for an unreachable
  // database (what is left then is lost and counted), and stops the writer;
  // records after it are dropped and counted. The destructor calls it.
  void close();
  std::uint64_t dropped() const;
  // Records the database refused (disk full, max_bytes reached, a bad value)
  // or that were still unwritten when the process stopped: lost, logged, counted.
  std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // False while the last write found the database unreachable.
  bool available() const { return available_.load(std::memory_order_relaxed); }
  // Batches sent again after the database was unreachable.
  std::uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  std::size_t queue_depth() const;
  const LedgerLocation& location() const { return options_.where; }

 private:
  Ledger(LedgerOptions options, std::unique_ptr<LedgerStore> store, std::unique_ptr<SqlConnection> lookups);
  // Under mutex_: whether one more record fits (if not, it is dropped and counted).
  bool admit_locked();
  // Under mutex_, after a record was queued: true when the writer must be woken.
  bool queued_locked();
  bool enqueue_feedback_locked(const FeedbackRecord& feedback);  // admit, queue; true: wake the writer
  // Under mutex_: the writer is to write what is queued without gathering more.
  void make_urgent_locked();
  void writer_loop();
  // Writes the batch, waiting out an unreachable database (until stop_grace after shutdown began).
  void write_batch(const LedgerBatch& batch);
  // Writer thread only:
  std::int64_t prompts_expired_at_ = 0;  // when old prompts were last deleted
  std::optional<std::chrono::steady_clock::time_point> give_up_at_;  // shutdown with the database away
  bool gave_up_ = false;

  LedgerOptions options_;
  std::unique_ptr<LedgerStore> store_;       // writer thread only
  std::unique_ptr<SqlConnection> lookups_;  // requests and feedback older than recent_, guarded by lookup_mutex_
  std::mutex lookup_mutex_;

  mutable std::mutex mutex_;
  // What the writer has to do: set under mutex_ (so a record queued after the
  // writer took the queue always leaves it set), waited on and cleared by the
  // writer, which never waits on mutex_ to sleep (writer_loop).
  // Urgent: a flush, a stop, or a burst of kGatherLimit records: written without gathering more
  // (the writer gathers in a timed wait on work_ itself, core/timed_wait.h, which this ends).
  static constexpr std::uint32_t kWorkNone = 0, kWorkQueued = 1, kWorkUrgent = 2;
  static constexpr std::size_t kGatherLimit = 256;
  std::atomic<std::uint32_t> work_{kWorkNone};
  std::condition_variable wake_;  // ends a retry's back-off at shutdown (write_batch)
  std::condition_variable committed_cv_;
  LedgerBatch queue_;
  std::size_t held_ = 0;         // items the writer took and has not finished with
  std::uint64_t enqueued_ = 0;   // items accepted so far
  std::uint64_t committed_ = 0;  // items written (or given up) so far
  std::uint64_t dropped_ = 0;
  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<bool> available_{true};
  bool stopping_ = false;
  bool closed_ = false;  // the writer has stopped

  // Feedback on a fresh answer finds it here before its row is committed.
  RecentRequests recent_;

  // The writer writes its batches on idle CPU only (SCHED_IDLE), and at normal
  // priority while it is behind: from when its backlog reaches raise_at_ or a
  // record has waited 1 s, until the backlog is under raise_at_ / 4.
  BackgroundPriority writer_priority_;
  bool behind_ = false;  // under mutex_
  std::size_t raise_at_;
  std::chrono::steady_clock::time_point first_queued_at_;  // of what waits in queue_, under mutex_
  std::thread writer_;
};

}  // namespace fulcrum
