#include "ledger/ledger.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/timed_wait.h"

namespace fulcrum {
namespace {

// Feedback mostly follows its answer within minutes; older ids are found in
// the database (one primary-key read).
constexpr std::size_t kRecentIds = 20000;
// A batch's buffers are kept for the next one up to this size (~16k small requests).
constexpr std::size_t kKeptBatchBytes = 8u << 20;

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::open(const LedgerOptions& options) {
  auto store = options.where.postgres() ? open_postgres_store(options.where)
                                        : open_sqlite_store(options.where.target, options.max_bytes);
  if (!store) return std::move(store).error();
  auto lookups = open_sql_reader(options.where);
  if (!lookups) return std::move(lookups).error();
  return std::unique_ptr<Ledger>(new Ledger(options, std::move(store.value()), std::move(lookups.value())));
}

Ledger::Ledger(LedgerOptions options, std::unique_ptr<LedgerStore> store, std::unique_ptr<SqlConnection> lookups)
    : options_(std::move(options)),
      store_(std::move(store)),
      lookups_(std::move(lookups)),
      recent_(kRecentIds),
      raise_at_(std::clamp<std::size_t>(options_.queue_capacity / 4, 1, 2048)) {
  writer_ = std::thread([this] {
    writer_priority_.adopt_self();  // lowered only while it writes a batch (writer_loop)
    writer_loop();
  });
}

Ledger::~Ledger() { close(); }

void Ledger::close() {
  writer_priority_.raise();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    make_urgent_locked();
  }
  work_.notify_all();
  wake_.notify_all();  // a retry's back-off (write_batch)
  if (writer_.joinable()) writer_.join();
  std::lock_guard lock(mutex_);
  closed_ = true;
}

bool Ledger::admit_locked() {
  // What the writer holds counts: while the database is away its batch waits too.
  if (!closed_ && queue_.size() + held_ < options_.queue_capacity) return true;
  if (dropped_++ % 1000 == 0)
    spdlog::warn("ledger {}: queue full ({} records), dropping records", options_.where.display(),
                 options_.queue_capacity);
  return false;
}

void Ledger::make_urgent_locked() {
  // Once per kGatherLimit records at most, or a flush or stop: a syscall is cheap here.
  if (work_.exchange(kWorkUrgent, std::memory_order_release) != kWorkUrgent) wake_waiters(work_);
}

bool Ledger::queued_locked() {
  ++enqueued_;
  const bool wake = queue_.size() == 1;  // the writer sleeps only on an empty queue: one wake-up per burst
  if (queue_.size() >= kGatherLimit) make_urgent_locked();
  else if (wake && work_.load(std::memory_order_relaxed) == kWorkNone) work_.store(kWorkQueued, std::memory_order_relaxed);
  // A writer starved of idle CPU (a busy machine) gets normal priority back
  // until it catches up: when its backlog is long, or has waited a second.
  if (wake) first_queued_at_ = std::chrono::steady_clock::now();
  if (queue_.size() + held_ >= raise_at_ || std::chrono::steady_clock::now() - first_queued_at_ > std::chrono::seconds(1)) {
    behind_ = true;
    if (writer_priority_.lowered()) writer_priority_.raise();
  }
  return wake;
}

bool Ledger::enqueue_feedback_locked(const FeedbackRecord& feedback) {
  if (!admit_locked()) return false;
  queue_.feedback.push_back(feedback);
  return queued_locked();
}

void Ledger::expect(const std::string& request_id, const FeedbackTarget& target) {
  std::lock_guard lock(mutex_);
  recent_.remember(request_id, target.tier, target.key);
}

void Ledger::on_request_done(const RequestRecord& record) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!record.tier.empty()) recent_.remember(record.id, record.tier, record.key);
    if (admit_locked()) {
      queue_.requests.add(record);
      wake = queued_locked();
    }
  }
  if (wake) work_.notify_one();
}

std::optional<FeedbackRecord::Verdict> Ledger::store(const FeedbackRecord& feedback) {
  const FeedbackRecord::Verdict verdict{feedback.score, feedback.error_cost_usd};
  {
    std::unique_lock lock(mutex_);
    auto* recent = recent_.find(feedback.request_id);
    // A verdict given here is the latest this process knows; with a shared
    // ledger, one given on another replica is only in the database.
    if (recent && (recent->verdict || !options_.where.postgres())) {
      // Under one lock: two verdicts at once still replace each other in order.
      auto replaced = std::exchange(recent->verdict, verdict);
      const bool wake = enqueue_feedback_locked(feedback);
      lock.unlock();
      if (wake) work_.notify_one();
      return replaced;
    }
  }
  // Older than the in-memory window, or judged on another replica: its latest verdict is in the database.
  std::optional<FeedbackRecord::Verdict> replaced;
  {
    std::lock_guard lock(lookup_mutex_);
    auto st = lookups_->query("SELECT score, error_cost_usd FROM feedback WHERE request_id = ? ORDER BY unix_ms DESC LIMIT 1",
                              {feedback.request_id}, [&](const SqlRow& row) {
                                replaced = FeedbackRecord::Verdict{row.real(0), std::nullopt};
                                if (row.kind(1) != SqlRow::Kind::null) replaced->error_cost_usd = row.real(1);
                              });
    if (!st) spdlog::warn("{} (the verdict a feedback replaces)", st.error().message);
  }
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (auto* recent = recent_.find(feedback.request_id)) recent->verdict = verdict;
    wake = enqueue_feedback_locked(feedback);
  }
  if (wake) work_.notify_one();
  return replaced;
}

Result<std::optional<FeedbackTarget>> Ledger::find_request(std::string_view request_id) {
  {
    std::lock_guard lock(mutex_);
    if (const auto* recent = recent_.find(request_id)) return std::optional(recent->target);
  }
  // One primary-key read (SQLite: microseconds, WAL readers never wait for the writer).
  std::optional<FeedbackTarget> found;
  std::lock_guard lock(lookup_mutex_);
  auto st = lookups_->query("SELECT tier, api_key FROM requests WHERE id = ?", {std::string(request_id)},
                            [&](const SqlRow& row) { found = FeedbackTarget{row.text(0), row.text(1)}; });
  if (!st) return std::move(st).error();
  return found;
}

void Ledger::flush() {
  writer_priority_.raise();
  std::unique_lock lock(mutex_);
  behind_ = true;  // whoever flushes waits for it
  const auto target = enqueued_;
  make_urgent_locked();
  work_.notify_one();
  committed_cv_.wait(lock, [&] { return committed_ >= target; });
}

std::uint64_t Ledger::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::size_t Ledger::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + held_;
}

void Ledger::writer_loop() {
  LedgerBatch batch;
  bool behind = false;
  for (;;) {
    // The writer sleeps, wakes and gathers a burst at idle priority: woken at
    // normal priority it preempted the request path twice a batch, which at
    // one connection was most of what the ledger added to the p99
    // (bench/RESULTS.md, session 17). It waits on work_, not on mutex_.
    if (!behind) writer_priority_.relax();
    work_.wait(kWorkNone, std::memory_order_acquire);
    // Let a burst gather into one transaction: the flush interval is the
    // longest a record waits before its commit starts. Each batch costs the
    // writer a wake-up, two priority changes each way and a commit, so fewer
    // and larger ones cost less (at one connection, a 2 ms interval took
    // 15-20 us of writer CPU a request, 20 ms 5-7 us); kGatherLimit records
    // end the gathering early, which bounds a batch's work at any load.
    // (work_ is kWorkQueued or kWorkUrgent here: only this thread clears it.)
    auto now = std::chrono::steady_clock::now();
    const auto gathered = now + options_.flush_interval;
    while (work_.load(std::memory_order_acquire) != kWorkUrgent && now < gathered) {
      wait_while_equal(work_, kWorkQueued, gathered - now);
      now = std::chrono::steady_clock::now();
    }
    // mutex_ is taken at normal priority only: a SCHED_IDLE thread preempted
    // while holding it would keep every request thread that records a request
    // waiting until a core went idle, which under full load can be long.
    writer_priority_.raise();
    bool stop = false;
    {
      std::lock_guard lock(mutex_);
      work_.store(kWorkNone, std::memory_order_relaxed);
      std::swap(batch, queue_);
      held_ = batch.size();
      stop = stopping_;
      // Reaching here late means the idle CPU ran out (a busy machine): this batch runs at normal priority.
      if (!batch.empty() && std::chrono::steady_clock::now() - first_queued_at_ > std::chrono::seconds(1))
        behind_ = true;
      behind = behind_ || stopping_;
    }
    if (!batch.empty()) {
      // The batch's work (most of the writer's) runs on idle CPU only, unless the writer is behind.
      if (!behind) writer_priority_.relax();
      write_batch(batch);
      const auto n = batch.size();
      batch.clear();
      // After a backlog, give its memory back rather than keep a batch that size for good.
      if (batch.requests.capacity_bytes() > kKeptBatchBytes) batch = LedgerBatch{};
      writer_priority_.raise();
      {
        std::lock_guard lock(mutex_);
        committed_ += n;
        held_ = 0;
        if (queue_.size() < raise_at_ / 4) behind_ = false;  // caught up
        behind = behind_;
      }
      committed_cv_.notify_all();
    }
    if (stop) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      make_urgent_locked();  // what came in during the stop, at once
    }
  }
}

void Ledger::write_batch(const LedgerBatch& batch) {
  auto backoff = std::chrono::milliseconds(50);
  for (;;) {
    auto written = store_->write(batch);
    if (written) {
      if (!available_.exchange(true)) spdlog::info("ledger {}: the database is back", options_.where.display());
      if (*written) write_errors_.fetch_add(*written, std::memory_order_relaxed);
      break;
    }
    if (written.error().code != Errc::unavailable) {  // not expected from the stores; counted as lost
      spdlog::error("{}", written.error().message);
      write_errors_.fetch_add(batch.size(), std::memory_order_relaxed);
      break;
    }
    if (available_.exchange(false))
      spdlog::error("{}; keeping {} records and trying again", written.error().message, batch.size());
    retries_.fetch_add(1, std::memory_order_relaxed);
    writer_priority_.raise();  // mutex_ is taken at normal priority only (writer_loop); the retries stay there
    std::unique_lock lock(mutex_);
    if (stopping_) {
      const auto now = std::chrono::steady_clock::now();
      if (!give_up_at_) give_up_at_ = now + options_.stop_grace;
      if (now >= *give_up_at_) {
        if (!gave_up_)
          spdlog::error("ledger {}: still unreachable at shutdown; {} records lost", options_.where.display(),
                        batch.size() + queue_.size());
        gave_up_ = true;  // what is queued behind this batch gets one try each, no more waiting
        write_errors_.fetch_add(batch.size(), std::memory_order_relaxed);
        break;
      }
    }
    // Woken early only by shutdown; otherwise back off (capped) and try again.
    wake_.wait_for(lock, std::min(backoff, options_.stop_grace), [&] { return stopping_ && !give_up_at_; });
    backoff = std::min(backoff * 2, options_.retry_max);
  }
  // Captured prompts past their retention go, checked at most once a minute.
  if (const auto now = unix_ms_now(); available() && now - prompts_expired_at_ >= 60000) {
    prompts_expired_at_ = now;
    store_->expire_prompts(now - options_.prompt_retention_ms);
  }
}

}  // namespace fulcrum
