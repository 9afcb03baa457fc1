// SqlConnection over SQLite: a read-only handle with a busy timeout, so reads
// run beside the ledger's writer (WAL).
#include <sqlite3.h>

#include "ledger/sql_connection.h"
#include "ledger/sqlite_library.h"
#include "ledger/postgres_connection.h"

namespace fulcrum {
namespace {

class SqliteRow final : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  int columns() const override { return sqlite3_column_count(s_); }
  std::string name(int c) const override { return sqlite3_column_name(s_, c); }
  Kind kind(int c) const override {
    switch (sqlite3_column_type(s_, c)) {
      case SQLITE_INTEGER: return Kind::integer;
      case SQLITE_FLOAT: return Kind::real;
      case SQLITE_NULL: return Kind::null;
      default: return Kind::text;
    }
  }
  std::int64_t integer(int c) const override { return sqlite3_column_int64(s_, c); }
  double real(int c) const override { return sqlite3_column_double(s_, c); }
  std::string text(int c) const override {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, c)))
             : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override { sqlite3_close(db_); }
  Dialect dialect() const override { return Dialect::sqlite; }

  Status query(std::string_view sql, const std::vector<SqlValue>& params,
               const std::function<void(const SqlRow&)>& on_row) override {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
      return make_error(Errc::invalid_request,
                        "ledger " + path_ + ": " + sqlite3_errmsg(db_) + " (is this a fulcrum ledger?)");
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) sqlite3_bind_int64(s, at, *n);
      else {
        const auto& t = std::get<std::string>(params[i]);
        sqlite3_bind_text(s, at, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      }
    }
    SqliteRow row(s);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      if (on_row) on_row(row);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return make_error(Errc::internal, "ledger " + path_ + ": " + sqlite3_errmsg(db_));
    return Ok{};
  }

 private:
  sqlite3* db_;
  std::string path_;
};

}  // namespace

void configure_sqlite_once() {
  static const bool configured = [] {
    // SQLITE_MISUSE when SQLite was already initialized (by another library): harmless, the defaults stay.
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
}

Result<std::unique_ptr<SqlConnection>> open_sql_reader(const LedgerLocation& where) {
  if (where.postgres()) return open_postgres(where);
  configure_sqlite_once();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(where.target.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(Errc::invalid_request, "ledger " + where.target + ": cannot open: " + why);
  }
  sqlite3_busy_timeout(db, 2000);
  return std::unique_ptr<SqlConnection>(new SqliteConnection(db, where.target));
}

}  // namespace fulcrum
