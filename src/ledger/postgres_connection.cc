#include "ledger/postgres_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

namespace fulcrum {
namespace {

// PostgreSQL type oids (pg_type.h is a server header).
constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

PGconn* open_session(const LedgerLocation& where) {
  // The URL as libpq parses it, the password beside it (never in a log line).
  const char* keys[] = {"dbname", "password", "connect_timeout", "application_name", nullptr};
  const char* values[] = {where.target.c_str(), where.password.empty() ? nullptr : where.password.c_str(), "3",
                          "fulcrum", nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}

// `?` -> `$1`, `$2`, ... (the ledger's statements hold no `?` in literals).
std::string numbered_parameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') out += '$' + std::to_string(++n);
    else out += c;
  }
  return out;
}

class PostgresRow final : public SqlRow {
 public:
  PostgresRow(const PGresult* r, int row) : r_(r), row_(row) {}
  int columns() const override { return PQnfields(r_); }
  std::string name(int c) const override { return PQfname(r_, c); }
  Kind kind(int c) const override {
    if (PQgetisnull(r_, row_, c)) return Kind::null;
    switch (PQftype(r_, c)) {
      case kInt8: case kInt2: case kInt4: return Kind::integer;
      case kFloat4: case kFloat8: case kNumeric: return Kind::real;
      default: return Kind::text;
    }
  }
  std::int64_t integer(int c) const override {
    // SUM over BIGINT is NUMERIC: read its integer part.
    const char* v = PQgetvalue(r_, row_, c);
    std::int64_t n = 0;
    std::from_chars(v, v + PQgetlength(r_, row_, c), n);
    return n;
  }
  double real(int c) const override { return PQgetisnull(r_, row_, c) ? 0 : std::strtod(PQgetvalue(r_, row_, c), nullptr); }
  std::string text(int c) const override {
    return std::string(PQgetvalue(r_, row_, c), static_cast<std::size_t>(PQgetlength(r_, row_, c)));
  }
  void at(int row) { row_ = row; }

 private:
  const PGresult* r_;
  int row_;
};

struct ResultHandle {
  PGresult* r;
  ~ResultHandle() { PQclear(r); }
};

}  // namespace

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::connect(const LedgerLocation& where,
                                                                         std::chrono::milliseconds retry) {
  PGconn* conn = open_session(where);
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    std::string why = conn ? PQerrorMessage(conn) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    PQfinish(conn);
    return make_error(Errc::unavailable, "ledger " + where.display() + ": cannot connect: " + why);
  }
  // "relation already exists, skipping" and the like: not for stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PostgresConnection>(new PostgresConnection(where, retry, conn));
}

PostgresConnection::PostgresConnection(LedgerLocation where, std::chrono::milliseconds retry, PGconn* conn)
    : where_(std::move(where)), retry_(retry), conn_(conn), last_attempt_(std::chrono::steady_clock::now()) {}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

bool PostgresConnection::connected() const { return PQstatus(conn_) == CONNECTION_OK; }

Status PostgresConnection::ensure_connected() {
  if (connected()) return Ok{};
  const auto now = std::chrono::steady_clock::now();
  if (now - last_attempt_ < retry_)
    return make_error(Errc::unavailable, "ledger " + where_.display() + ": the database is unreachable");
  last_attempt_ = now;
  PQreset(conn_);
  if (!connected()) return failure("cannot reconnect");
  return Ok{};
}

Error PostgresConnection::failure(const std::string& what, const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate_ = state ? state : "";
  std::string why = PQerrorMessage(conn_);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return make_error(connected() ? Errc::internal : Errc::unavailable, "ledger " + where_.display() + ": " + what + ": " + why);
}

Status PostgresConnection::run(const std::string& text, const std::vector<const char*>& values,
                               const std::function<void(const SqlRow&)>& on_row) {
  ResultHandle r{PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                              nullptr, 0)};
  const auto status = PQresultStatus(r.r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return failure("statement failed", r.r);
  if (on_row) {
    PostgresRow row(r.r, 0);
    for (int i = 0, n = PQntuples(r.r); i < n; ++i) {
      row.at(i);
      on_row(row);
    }
  }
  return Ok{};
}

Status PostgresConnection::query(std::string_view sql, const std::vector<SqlValue>& params,
                                 const std::function<void(const SqlRow&)>& on_row) {
  if (auto st = ensure_connected(); !st) return st;
  std::vector<std::string> texts;
  texts.reserve(params.size());
  for (const auto& p : params)
    texts.push_back(std::holds_alternative<std::int64_t>(p) ? std::to_string(std::get<std::int64_t>(p))
                                                             : std::get<std::string>(p));
  std::vector<const char*> values;
  for (const auto& t : texts) values.push_back(t.c_str());
  return run(numbered_parameters(sql), values, on_row);
}

Status PostgresConnection::exec(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  if (auto st = ensure_connected(); !st) return st;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return run(std::string(sql), values, {});
}

Status PostgresConnection::copy_in(std::string_view copy_sql, std::string_view rows) {
  if (auto st = ensure_connected(); !st) return st;
  const std::string text(copy_sql);
  {
    ResultHandle start{PQexec(conn_, text.c_str())};
    if (PQresultStatus(start.r) != PGRES_COPY_IN) return failure("COPY failed", start.r);
  }
  if (PQputCopyData(conn_, rows.data(), static_cast<int>(rows.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1)
    return failure("COPY failed");
  Status out = Ok{};
  // The COPY's result, then the end of results.
  while (PGresult* r = PQgetResult(conn_)) {
    ResultHandle done{r};
    if (out && PQresultStatus(r) != PGRES_COMMAND_OK) out = failure("COPY failed", r);
  }
  return out;
}

void copy_text(std::string& out, std::string_view field) {
  for (char c : field) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\0': break;
      default: out += c;
    }
  }
}

Status PostgresConnection::exec_script(std::string_view sql) {
  if (auto st = ensure_connected(); !st) return st;
  const std::string text(sql);
  ResultHandle r{PQexec(conn_, text.c_str())};
  const auto status = PQresultStatus(r.r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return failure("statement failed", r.r);
  return Ok{};
}

Result<std::unique_ptr<SqlConnection>> open_postgres(const LedgerLocation& where) {
  auto c = PostgresConnection::connect(where);
  if (!c) return std::move(c).error();
  return std::unique_ptr<SqlConnection>(std::move(c.value()));
}

}  // namespace fulcrum
