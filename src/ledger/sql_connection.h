#pragma once
// A connection to the ledger's database for queries, the same for SQLite and
// PostgreSQL: the ledger's readers (dashboard, export, break-even, training)
// and the feedback lookups are written once against it. Statements write
// their parameters as `?`; each is bound to the next value given.
// Not thread-safe: one caller at a time.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "config/ledger_location.h"

namespace fulcrum {

using SqlValue = std::variant<std::int64_t, std::string>;

// One row of a result, by column (0-based).
class SqlRow {
 public:
  enum class Kind { integer, real, text, null };
  virtual ~SqlRow() = default;
  virtual int columns() const = 0;
  virtual std::string name(int column) const = 0;
  virtual Kind kind(int column) const = 0;
  virtual std::int64_t integer(int column) const = 0;  // 0 for NULL
  virtual double real(int column) const = 0;           // 0 for NULL
  virtual std::string text(int column) const = 0;      // "" for NULL
};

class SqlConnection {
 public:
  enum class Dialect { sqlite, postgres };
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  // Runs one statement, calling `on_row` for each row of its result.
  virtual Status query(std::string_view sql, const std::vector<SqlValue>& params,
                       const std::function<void(const SqlRow&)>& on_row = {}) = 0;
};

// A read-only connection (SQLite: the file must exist; PostgreSQL: a session
// whose failures reconnect on the next query).
Result<std::unique_ptr<SqlConnection>> open_sql_reader(const LedgerLocation& where);

}  // namespace fulcrum
