#pragma once
// The database behind the ledger's queue: the writer thread hands it batches.
// SQLite (a file, the default) and PostgreSQL (shared by replicas) implement it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "config/ledger_location.h"
#include "ledger/sql_connection.h"
#include "accounting/request_record.h"
#include "ledger/request_rows.h"

namespace fulcrum {

// What the writer hands a store at once. Feedback is kept in arrival order
// among feedback; requests and feedback go to separate tables, so their
// order relative to each other does not matter.
struct LedgerBatch {
  RequestRows requests;
  std::vector<FeedbackRecord> feedback;
  std::size_t size() const { return requests.size() + feedback.size(); }
  bool empty() const { return requests.empty() && feedback.empty(); }
  void clear() {
    requests.clear();
    feedback.clear();
  }
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // Writes the batch, one transaction. A request row replaces one with the
  // same id; a feedback replaces the request's earlier verdict.
  // Ok(n): the batch is in, but for n records the database refused (logged;
  // lost). Errc::unavailable: nothing was written because the database cannot
  // be reached: the caller keeps the batch and tries again.
  virtual Result<std::size_t> write(const LedgerBatch& batch) = 0;
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
