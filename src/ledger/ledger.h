#pragma once
// The request ledger: every finished request and every feedback, in SQLite
// (WAL). Requests reach it through a bounded in-memory queue that one writer
// thread drains in batches, one transaction per batch, so the request path
// never waits on the disk. A record is durable once its batch commits: about
// `flush_interval` plus one commit after the request ended (WAL with
// synchronous=NORMAL survives a kill -9 of the process; a power cut may lose
// the last commits). When the queue is full, records are dropped and counted,
// never blocking a request. The destructor drains the queue.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>

#include "core/result.h"
#include "proxy/request_record.h"

struct sqlite3;

namespace fulcrum {

struct LedgerOptions {
  std::string path;
  std::size_t queue_capacity = 100000;
  std::chrono::milliseconds flush_interval{2};  // a burst gathers this long, then commits
  std::int64_t max_bytes = 0;  // > 0: the database stops growing here; records past it fail (and are counted)
  std::int64_t prompt_retention_ms = 30LL * 86400000;  // captured prompts older than this are deleted
};

class Ledger final : public RequestObserver, public FeedbackStore {
 public:
  static Result<std::unique_ptr<Ledger>> open(const LedgerOptions& options);
  ~Ledger() override;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  void on_request_done(const RequestRecord& record) override;  // enqueues
  std::optional<FeedbackTarget> find_request(std::string_view request_id) override;
  std::optional<FeedbackRecord::Verdict> store(const FeedbackRecord& feedback) override;  // enqueues

  // Blocks until everything enqueued before the call is committed.
  void flush();
  std::uint64_t dropped() const;
  // Records the database refused (disk full, max_bytes reached, I/O error): lost, logged, counted.
  std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  std::size_t queue_depth() const;
  const std::string& path() const { return options_.path; }

 private:
  using Item = std::variant<RequestRecord, FeedbackRecord>;
  Ledger(LedgerOptions options, sqlite3* writer, sqlite3* reader);
  void enqueue(Item item);
  // Under mutex_: queues `item` (or drops and counts it); true when the writer must be woken.
  bool enqueue_locked(Item item);
  void writer_loop();
  void write_batch(std::deque<Item>& batch);
  std::int64_t prompts_expired_at_ = 0;  // writer thread only: when old prompts were last deleted

  LedgerOptions options_;
  sqlite3* writer_db_;
  sqlite3* reader_db_;  // lookups of requests and feedback older than recent_, guarded by reader_mutex_
  std::mutex reader_mutex_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable committed_cv_;
  std::deque<Item> queue_;
  std::uint64_t enqueued_ = 0;   // items accepted so far
  std::uint64_t committed_ = 0;  // items written so far
  std::uint64_t dropped_ = 0;
  std::atomic<std::uint64_t> write_errors_{0};
  bool stopping_ = false;

  // Recent requests by id, so feedback on a fresh answer finds it before its
  // row is committed. Bounded: oldest ids leave first.
  struct Recent {
    FeedbackTarget target;
    std::optional<FeedbackRecord::Verdict> verdict;  // the latest feedback's
  };
  std::unordered_map<std::string, Recent> recent_;
  std::deque<std::string> recent_order_;

  std::thread writer_;
};

}  // namespace fulcrum
