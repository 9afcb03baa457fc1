#include "ledger/ledger.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "ledger/schema.h"

namespace fulcrum {
namespace {

// Feedback mostly follows its answer within minutes; older ids are found in
// the database (one primary-key read).
constexpr std::size_t kRecentIds = 20000;

Error sqlite_error(sqlite3* db, const std::string& what) {
  return make_error(Errc::internal, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// A prepared statement, finalized on scope exit.
struct Statement {
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Statement() { sqlite3_finalize(s); }
  void text(int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  void real(int i, double v) { sqlite3_bind_double(s, i, v); }
};

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::open(const LedgerOptions& options) {
  sqlite3* writer = nullptr;
  if (sqlite3_open_v2(options.path.c_str(), &writer, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    auto e = sqlite_error(writer, "ledger " + options.path + ": cannot open");
    sqlite3_close(writer);
    return e;
  }
  char* message = nullptr;
  if (sqlite3_exec(writer, kLedgerSchema, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message ? message : "unknown error";
    sqlite3_free(message);
    sqlite3_close(writer);
    return make_error(Errc::internal, "ledger " + options.path + ": " + why);
  }
  // An older ledger gains the columns added since it was created.
  for (const char* column : kAddedRequestColumns) {
    const std::string name(column, std::string_view(column).find(' '));
    sqlite3_stmt* probe = nullptr;
    const auto sql = "SELECT " + name + " FROM requests LIMIT 0";
    const bool present = sqlite3_prepare_v2(writer, sql.c_str(), -1, &probe, nullptr) == SQLITE_OK;
    sqlite3_finalize(probe);
    if (present) continue;
    const auto alter = std::string("ALTER TABLE requests ADD COLUMN ") + column;
    if (sqlite3_exec(writer, alter.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string why = message ? message : "unknown error";
      sqlite3_free(message);
      sqlite3_close(writer);
      return make_error(Errc::internal, "ledger " + options.path + ": adding column " + name + ": " + why);
    }
    spdlog::info("ledger {}: added column {}", options.path, name);
  }
  if (options.max_bytes > 0) {
    // SQLite answers SQLITE_FULL past this many pages, as it would on a full disk.
    const auto pages = std::max<std::int64_t>(16, options.max_bytes / 4096);
    const auto pragma = "PRAGMA page_size = 4096; PRAGMA max_page_count = " + std::to_string(pages) + ";";
    sqlite3_exec(writer, pragma.c_str(), nullptr, nullptr, nullptr);
  }
  sqlite3* reader = nullptr;
  if (sqlite3_open_v2(options.path.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    auto e = sqlite_error(reader, "ledger " + options.path + ": cannot open for reading");
    sqlite3_close(reader);
    sqlite3_close(writer);
    return e;
  }
  sqlite3_busy_timeout(reader, 100);
  return std::unique_ptr<Ledger>(new Ledger(options, writer, reader));
}

Ledger::Ledger(LedgerOptions options, sqlite3* writer, sqlite3* reader)
    : options_(std::move(options)), writer_db_(writer), reader_db_(reader) {
  writer_ = std::thread([this] { writer_loop(); });
}

Ledger::~Ledger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  sqlite3_close(reader_db_);
  sqlite3_close(writer_db_);
}

void Ledger::enqueue(Item item) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = enqueue_locked(std::move(item));
  }
  if (wake) wake_.notify_one();
}

bool Ledger::enqueue_locked(Item item) {
  if (queue_.size() >= options_.queue_capacity) {
    if (dropped_++ % 1000 == 0)
      spdlog::warn("ledger {}: queue full ({} records), dropping records", options_.path, options_.queue_capacity);
    return false;
  }
  const bool wake = queue_.empty();  // the writer sleeps only on an empty queue: one wake-up per burst
  queue_.push_back(std::move(item));
  ++enqueued_;
  return wake;
}

void Ledger::on_request_done(const RequestRecord& record) {
  {
    std::lock_guard lock(mutex_);
    if (!record.tier.empty() && recent_.emplace(record.id, Recent{FeedbackTarget{record.tier, record.key}, std::nullopt}).second) {
      recent_order_.push_back(record.id);
      if (recent_order_.size() > kRecentIds) {
        recent_.erase(recent_order_.front());
        recent_order_.pop_front();
      }
    }
  }
  enqueue(record);
}

std::optional<FeedbackRecord::Verdict> Ledger::store(const FeedbackRecord& feedback) {
  std::optional<FeedbackRecord::Verdict> replaced;
  {
    std::unique_lock lock(mutex_);
    if (auto it = recent_.find(feedback.request_id); it != recent_.end()) {
      // Under one lock: two verdicts at once still replace each other in order.
      replaced = std::exchange(it->second.verdict, FeedbackRecord::Verdict{feedback.score, feedback.error_cost_usd});
      const bool wake = enqueue_locked(feedback);
      lock.unlock();
      if (wake) wake_.notify_one();
      return replaced;
    }
  }
  // Older than the in-memory window: its latest verdict is in the database.
  {
    std::lock_guard lock(reader_mutex_);
    Statement st(reader_db_,
                 "SELECT score, error_cost_usd FROM feedback WHERE request_id = ? ORDER BY unix_ms DESC LIMIT 1");
    st.text(1, feedback.request_id);
    if (st.s && sqlite3_step(st.s) == SQLITE_ROW) {
      replaced = FeedbackRecord::Verdict{sqlite3_column_double(st.s, 0), std::nullopt};
      if (sqlite3_column_type(st.s, 1) != SQLITE_NULL) replaced->error_cost_usd = sqlite3_column_double(st.s, 1);
    }
  }
  enqueue(feedback);
  return replaced;
}

std::optional<FeedbackTarget> Ledger::find_request(std::string_view request_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = recent_.find(std::string(request_id)); it != recent_.end()) return it->second.target;
  }
  // One primary-key read (microseconds; WAL readers never wait for the writer).
  std::lock_guard lock(reader_mutex_);
  Statement st(reader_db_, "SELECT tier, api_key FROM requests WHERE id = ?");
  st.text(1, std::string(request_id));
  if (st.s && sqlite3_step(st.s) == SQLITE_ROW)
    return FeedbackTarget{reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)),
                          reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1))};
  return std::nullopt;
}

void Ledger::flush() {
  std::unique_lock lock(mutex_);
  const auto target = enqueued_;
  wake_.notify_one();
  committed_cv_.wait(lock, [&] { return committed_ >= target; });
}

std::uint64_t Ledger::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::size_t Ledger::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Ledger::writer_loop() {
  std::deque<Item> batch;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Let a burst gather into one transaction: the flush interval is the
      // longest a record waits before its commit starts.
      if (!stopping_ && queue_.size() < 256) {
        lock.unlock();
        std::this_thread::sleep_for(options_.flush_interval);
        lock.lock();
      }
      batch.swap(queue_);
      stop = stopping_;
    }
    if (!batch.empty()) {
      const auto n = batch.size();
      write_batch(batch);
      batch.clear();
      {
        std::lock_guard lock(mutex_);
        committed_ += n;
      }
      committed_cv_.notify_all();
    }
    if (stop) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
    }
  }
}

void Ledger::write_batch(std::deque<Item>& batch) {
  std::size_t failed = 0;
  sqlite3_exec(writer_db_, "BEGIN", nullptr, nullptr, nullptr);
  Statement req(writer_db_, kInsertRequest);
  Statement fb(writer_db_, kInsertFeedback);
  Statement replace(writer_db_, kDeleteFeedback);
  Statement prompt(writer_db_, kInsertPrompt);
  for (const auto& item : batch) {
    if (const auto* r = std::get_if<RequestRecord>(&item)) {
      sqlite3_reset(req.s);
      int i = 0;
      req.text(++i, r->id);
      req.integer(++i, r->unix_ms);
      req.text(++i, r->key);
      req.text(++i, r->model_requested);
      req.text(++i, r->tier);
      req.text(++i, r->upstream_model);
      req.text(++i, r->reason);
      req.integer(++i, r->stream);
      req.integer(++i, r->escalated);
      req.integer(++i, r->status);
      req.integer(++i, r->attempts);
      req.integer(++i, r->usage.prompt_tokens);
      req.integer(++i, r->usage.cache_hit_tokens);
      req.integer(++i, r->usage.cache_miss_tokens);
      req.integer(++i, r->usage.completion_tokens);
      req.integer(++i, r->usage.reasoning_tokens);
      req.integer(++i, r->cost);
      req.integer(++i, r->usage.estimated);
      req.integer(++i, static_cast<std::int64_t>(r->ttfb_ms * 1000));
      req.integer(++i, static_cast<std::int64_t>(r->total_ms * 1000));
      req.integer(++i, static_cast<std::int64_t>(r->overhead_ms * 1000));
      req.text(++i, r->error);
      req.integer(++i, r->fell_back);
      req.integer(++i, r->answer_usage.prompt_tokens);
      req.integer(++i, r->answer_usage.cache_hit_tokens);
      req.integer(++i, r->answer_usage.completion_tokens);
      if (sqlite3_step(req.s) != SQLITE_DONE) {
        ++failed;
        spdlog::error("ledger {}: request {} not written: {}", options_.path, r->id, sqlite3_errmsg(writer_db_));
      } else if (!r->prompt.empty()) {
        sqlite3_reset(prompt.s);
        prompt.text(1, r->id);
        prompt.integer(2, r->unix_ms);
        prompt.text(3, r->prompt);
        if (sqlite3_step(prompt.s) != SQLITE_DONE)
          spdlog::error("ledger {}: prompt of {} not written: {}", options_.path, r->id, sqlite3_errmsg(writer_db_));
      }
    } else {
      const auto& f = std::get<FeedbackRecord>(item);
      sqlite3_reset(replace.s);  // one verdict per request: the latest replaces the others
      replace.text(1, f.request_id);
      sqlite3_step(replace.s);
      sqlite3_reset(fb.s);
      fb.text(1, f.request_id);
      fb.integer(2, f.unix_ms);
      fb.text(3, f.tier);
      fb.real(4, f.score);
      if (f.error_cost_usd) fb.real(5, *f.error_cost_usd);
      else sqlite3_bind_null(fb.s, 5);
      if (sqlite3_step(fb.s) != SQLITE_DONE) {
        ++failed;
        spdlog::error("ledger {}: feedback for {} not written: {}", options_.path, f.request_id, sqlite3_errmsg(writer_db_));
      }
    }
  }
  // Captured prompts past their retention go, checked at most once a minute.
  if (const auto now = unix_ms_now(); now - prompts_expired_at_ >= 60000) {
    prompts_expired_at_ = now;
    Statement expire(writer_db_, kExpirePrompts);
    expire.integer(1, now - options_.prompt_retention_ms);
    sqlite3_step(expire.s);
  }
  if (sqlite3_exec(writer_db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    spdlog::error("ledger {}: commit of {} records failed: {}", options_.path, batch.size(), sqlite3_errmsg(writer_db_));
    sqlite3_exec(writer_db_, "ROLLBACK", nullptr, nullptr, nullptr);
    failed = batch.size();  // none of the batch is in the database
  }
  if (failed) write_errors_.fetch_add(failed, std::memory_order_relaxed);
}

}  // namespace fulcrum
