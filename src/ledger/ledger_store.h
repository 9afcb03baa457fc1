#pragma once
// The database behind the ledger's queue: the writer thread hands it batches.
// SQLite (a file, the default) and PostgreSQL (shared by replicas) implement it.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <variant>

#include "core/result.h"
#include "config/ledger_location.h"
#include "ledger/sql_connection.h"
#include "accounting/request_record.h"

namespace fulcrum {

using LedgerItem = std::variant<RequestRecord, FeedbackRecord>;

// A request's row: the values of the requests table's columns (kRequestColumns), in order.
std::vector<SqlValue> request_row(const RequestRecord& r);

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // Writes the batch, one transaction. A request row replaces one with the
  // same id; a feedback replaces the request's earlier verdict.
  // Ok(n): the batch is in, but for n records the database refused (logged;
  // lost). Errc::unavailable: nothing was written because the database cannot
  // be reached: the caller keeps the batch and tries again.
  virtual Result<std::size_t> write(const std::deque<LedgerItem>& batch) = 0;
  // Deletes captured prompts older than this.
  virtual void expire_prompts(std::int64_t before_unix_ms) = 0;
};

// Creates the file and its tables (or migrates an older ledger in place).
// max_bytes > 0: the file stops growing there; later records are refused.
Result<std::unique_ptr<LedgerStore>> open_sqlite_store(const std::string& path, std::int64_t max_bytes);
// Connects and creates the tables (or migrates them); fails when the database
// cannot be reached at start.
Result<std::unique_ptr<LedgerStore>> open_postgres_store(const LedgerLocation& where);

}  // namespace fulcrum
