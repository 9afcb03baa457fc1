#pragma once
// A libpq session to the ledger's PostgreSQL database. A statement that fails
// because the session is gone comes back as Errc::unavailable (the caller may
// keep its data and try again); any other failure as Errc::internal. After a
// lost session the next call reconnects, at most once per `retry` so a dead
// server costs a caller one failed connect, not one per query.
#include <chrono>
#include <optional>

#include "ledger/sql_connection.h"

typedef struct pg_conn PGconn;  // libpq's handles, kept out of this header's includers
typedef struct pg_result PGresult;

namespace fulcrum {

class PostgresConnection final : public SqlConnection {
 public:
  static Result<std::unique_ptr<PostgresConnection>> connect(const LedgerLocation& where,
                                                             std::chrono::milliseconds retry = std::chrono::seconds(1));
  ~PostgresConnection() override;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  Dialect dialect() const override { return Dialect::postgres; }
  Status query(std::string_view sql, const std::vector<SqlValue>& params,
               const std::function<void(const SqlRow&)>& on_row) override;
  // One statement with text parameters (nullopt: NULL), for writes.
  Status exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  // Several statements in one string, without parameters (schema, BEGIN/COMMIT).
  Status exec_script(std::string_view sql);
  // COPY ... FROM STDIN with `rows` in COPY's text format (copy_text escapes a field).
  Status copy_in(std::string_view copy_sql, std::string_view rows);
  // The SQLSTATE of the last failed statement ("23505": a unique key already present), "" if none.
  const std::string& last_sqlstate() const { return sqlstate_; }
  bool connected() const;

 private:
  PostgresConnection(LedgerLocation where, std::chrono::milliseconds retry, PGconn* conn);
  Status ensure_connected();
  // One statement with text parameters ($1, ...; nullptr: NULL), its rows to `on_row`.
  Status run(const std::string& text, const std::vector<const char*>& values,
             const std::function<void(const SqlRow&)>& on_row);
  Error failure(const std::string& what, const PGresult* result = nullptr);

  LedgerLocation where_;
  std::chrono::milliseconds retry_;
  PGconn* conn_;
  std::chrono::steady_clock::time_point last_attempt_{};
  std::string sqlstate_;
};

// Appends `field` to `out` escaped for COPY's text format (NUL bytes, which
// PostgreSQL text cannot hold, are left out).
void copy_text(std::string& out, std::string_view field);

Result<std::unique_ptr<SqlConnection>> open_postgres(const LedgerLocation& where);

}  // namespace fulcrum
