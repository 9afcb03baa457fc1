// LedgerStore over SQLite (WAL): prepared statements, one transaction a batch.
#include <sqlite3.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ledger/ledger_store.h"
#include "ledger/schema.h"
#include "ledger/sqlite_library.h"

namespace fulcrum {
namespace {

// A prepared statement, finalized on scope exit.
struct Statement {
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Statement() { sqlite3_finalize(s); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  // SQLITE_STATIC: the batch outlives the statement's use of it (bindings are cleared after each batch).
  void text(int i, std::string_view v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC); }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  void real(int i, double v) { sqlite3_bind_double(s, i, v); }
};

// Rows a multi-row insert takes: one statement's step, reset and VDBE setup
// serve 16 rows, about a fifth of a row's cost (26 x 16 parameters, well
// under SQLite's limit of 32,766).
constexpr std::size_t kRowsPerInsert = 16;

// "INSERT OR REPLACE INTO requests VALUES (?, ...), ..." for `rows` rows.
std::string insert_requests(std::size_t rows) {
  std::string sql = "INSERT OR REPLACE INTO requests VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ",(?" : "(?";
    for (int c = 1; c < RequestRows::kColumns; ++c) sql += ",?";
    sql += ')';
  }
  return sql;
}

Error fail_open(sqlite3* db, const std::string& path, const std::string& why) {
  sqlite3_close(db);
  return make_error(Errc::internal, "ledger " + path + ": " + why);
}

class SqliteStore final : public LedgerStore {
 public:
  SqliteStore(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)), statements_(std::make_unique<Statements>(db)) {}
  ~SqliteStore() override {
    statements_.reset();  // finalized before the close, which refuses while any is open
    sqlite3_close(db_);
  }

  Result<std::size_t> write(const LedgerBatch& batch) override {
    sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    std::size_t failed = 0;
    const bool open = write_rows(batch, failed);
    // Done with the batch's buffers: no statement keeps a pointer into them.
    auto& st = *statements_;
    for (auto* done : {&st.requests, &st.request, &st.prompt, &st.replace_feedback, &st.feedback}) {
      sqlite3_reset(done->s);
      sqlite3_clear_bindings(done->s);
    }
    if (!open) {
      spdlog::error("ledger {}: the database rolled back a batch of {} records (disk full?)", path_, batch.size());
      return batch.size();  // none of the batch is in the database
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      spdlog::error("ledger {}: commit of {} records failed: {}", path_, batch.size(), sqlite3_errmsg(db_));
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return batch.size();
    }
    return failed;
  }

  void expire_prompts(std::int64_t before) override {
    Statement expire(db_, kExpirePrompts);  // once a minute at most
    expire.integer(1, before);
    sqlite3_step(expire.s);
  }

 private:
  // Writes the batch's rows inside the open transaction, counting the ones
  // refused in `failed`. False when SQLite ended the transaction itself (it
  // may, on a full disk): then it stops, since what followed would be
  // committed row by row outside the batch.
  bool write_rows(const LedgerBatch& batch, std::size_t& failed) {
    auto& st = *statements_;
    const auto transaction_gone = [&] { return sqlite3_get_autocommit(db_) != 0; };
    // Counts a refused record; true when the transaction went with it.
    const auto refused = [&] {
      ++failed;
      return transaction_gone();
    };
    const auto& rows = batch.requests;
    std::size_t i = 0;
    // Most rows go kRowsPerInsert to a statement; if one of them is refused,
    // the statement's rows are undone and written one by one, so that one bad
    // row loses only itself.
    for (; i + kRowsPerInsert <= rows.size(); i += kRowsPerInsert) {
      sqlite3_reset(st.requests.s);
      for (std::size_t k = 0; k < kRowsPerInsert; ++k)
        bind_request(st.requests, static_cast<int>(k) * RequestRows::kColumns, rows[i + k]);
      if (sqlite3_step(st.requests.s) == SQLITE_DONE) continue;
      if (transaction_gone()) return false;
      for (std::size_t k = i; k < i + kRowsPerInsert; ++k)
        if (!write_request(st.request, rows[k]) && refused()) return false;
    }
    for (; i < rows.size(); ++i)
      if (!write_request(st.request, rows[i]) && refused()) return false;
    // A refused prompt is logged, not counted: its request is in.
    for (i = 0; i < rows.size(); ++i)
      if (!rows[i].prompt().empty() && !write_prompt(st.prompt, rows[i]) && transaction_gone()) return false;
    for (const auto& f : batch.feedback)
      if (!write_feedback(st.replace_feedback, st.feedback, f) && refused()) return false;
    return true;
  }

  // Binds row `r` to the statement's parameters after the first `offset`.
  static void bind_request(Statement& req, int offset, const RequestRows::Row& r) {
    for (int c = 0; c < RequestRows::kColumns; ++c) {
      const auto value = r.column(c);
      if (const auto* n = std::get_if<std::int64_t>(&value)) req.integer(offset + c + 1, *n);
      else req.text(offset + c + 1, std::get<std::string_view>(value));
    }
  }

  bool write_request(Statement& req, const RequestRows::Row& r) {
    sqlite3_reset(req.s);
    bind_request(req, 0, r);
    if (sqlite3_step(req.s) != SQLITE_DONE) {
      spdlog::error("ledger {}: request {} not written: {}", path_, r.id(), sqlite3_errmsg(db_));
      return false;
    }
    return true;
  }

  bool write_prompt(Statement& prompt, const RequestRows::Row& r) {
    sqlite3_reset(prompt.s);
    prompt.text(1, r.id());
    prompt.integer(2, r.unix_ms());
    prompt.text(3, r.prompt());
    if (sqlite3_step(prompt.s) == SQLITE_DONE) return true;
    spdlog::error("ledger {}: prompt of {} not written: {}", path_, r.id(), sqlite3_errmsg(db_));
    return false;
  }

  bool write_feedback(Statement& replace, Statement& fb, const FeedbackRecord& f) {
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
      spdlog::error("ledger {}: feedback for {} not written: {}", path_, f.request_id, sqlite3_errmsg(db_));
      return false;
    }
    return true;
  }

  // Prepared once: preparing them for every batch cost more than writing a small batch's rows.
  struct Statements {
    explicit Statements(sqlite3* db)
        : requests(db, insert_requests(kRowsPerInsert).c_str()), request(db, kInsertRequest),
          feedback(db, kInsertFeedback), replace_feedback(db, kDeleteFeedback), prompt(db, kInsertPrompt) {}
    Statement requests;  // kRowsPerInsert rows
    Statement request, feedback, replace_feedback, prompt;
  };

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace

Result<std::unique_ptr<LedgerStore>> open_sqlite_store(const std::string& path, std::int64_t max_bytes) {
  configure_sqlite_once();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    return fail_open(db, path, std::string("cannot open: ") + (db ? sqlite3_errmsg(db) : "out of memory"));
  char* message = nullptr;
  auto exec = [&](const std::string& sql) -> std::optional<std::string> {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return std::nullopt;
    std::string why = message ? message : "unknown error";
    sqlite3_free(message);
    return why;
  };
  if (auto why = exec(kLedgerSchema)) return fail_open(db, path, *why);
  // Checkpoint every ~16 MB of WAL instead of SQLite's 4 MB: a page the
  // batches keep changing (the tables' last leaves, their parents) is copied
  // into the file once per checkpoint, so fewer checkpoints copy less; about
  // a fifth of a row's cost. The WAL file stays at that size between them.
  exec("PRAGMA wal_autocheckpoint = 4000;");
  // An older ledger gains the columns added since it was created.
  for (const char* column : kAddedRequestColumns) {
    const std::string name(column, std::string_view(column).find(' '));
    sqlite3_stmt* probe = nullptr;
    const auto sql = "SELECT " + name + " FROM requests LIMIT 0";
    const bool present = sqlite3_prepare_v2(db, sql.c_str(), -1, &probe, nullptr) == SQLITE_OK;
    sqlite3_finalize(probe);
    if (present) continue;
    if (auto why = exec(std::string("ALTER TABLE requests ADD COLUMN ") + column))
      return fail_open(db, path, "adding column " + name + ": " + *why);
    spdlog::info("ledger {}: added column {}", path, name);
  }
  if (max_bytes > 0) {
    // SQLite answers SQLITE_FULL past this many pages, as it would on a full disk.
    const auto pages = std::max<std::int64_t>(16, max_bytes / 4096);
    exec("PRAGMA page_size = 4096; PRAGMA max_page_count = " + std::to_string(pages) + ";");
  }
  return std::unique_ptr<LedgerStore>(new SqliteStore(db, path));
}

}  // namespace fulcrum
