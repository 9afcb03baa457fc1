// LedgerStore over PostgreSQL: each batch is one transaction. Requests and
// prompts go in by COPY (several times cheaper for the server than a
// parameterised multi-row INSERT); feedback, rare and replacing, by upsert.
// A batch that failed with the connection (committed or not) is sent again
// once the database is back: if its rows are already there (the COMMIT had
// gone through), COPY meets their keys and the batch is written again as
// upserts, which replace them. A batch the database refuses on a live
// connection (a bad value) is written again row by row, so one bad record
// loses only itself.
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <map>

#include "core/clock.h"
#include "ledger/ledger_store.h"
#include "ledger/postgres_connection.h"
#include "ledger/schema.h"

namespace fulcrum {
namespace {

using Params = std::vector<std::optional<std::string>>;

// PostgreSQL takes at most 65535 parameters a statement.
constexpr std::size_t kRowsPerStatement = 1000;
constexpr const char* kUniqueViolation = "23505";

std::string as_text(const SqlValueView& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  return std::string(std::get<std::string_view>(v));
}

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// One table's rows of a batch: the latest row per key (an upsert may not
// touch a row twice), in arrival order.
struct TableRows {
  const char* table;
  std::vector<std::string> columns;
  std::size_t kept_on_conflict = 0;  // trailing columns an upsert leaves as they are
  std::vector<Params> rows;
  std::map<std::string, std::size_t> by_key;
  void add(Params row) {
    const auto key = *row.front();
    if (auto it = by_key.find(key); it != by_key.end()) rows[it->second] = std::move(row);
    else {
      by_key.emplace(key, rows.size());
      rows.push_back(std::move(row));
    }
  }
};

void append_copy_field(std::string& out, const SqlValueView& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, *n).ptr);
  } else {
    copy_text(out, std::get<std::string_view>(v));
  }
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t c = 0; c < columns.size(); ++c) out += (c ? ", " : "") + columns[c];
  return out;
}

class PostgresStore final : public LedgerStore {
 public:
  explicit PostgresStore(std::unique_ptr<PostgresConnection> conn) : conn_(std::move(conn)) {
    request_columns_.assign(std::begin(kRequestColumns), std::end(kRequestColumns));
    request_columns_.push_back("written_ms");
  }

  Result<std::size_t> write(const LedgerBatch& batch) override {
    // When this attempt wrote the rows: a shared dashboard reads what is new by it.
    const auto written_ms = unix_ms_now();
    auto copied = write_by_copy(batch, written_ms);
    if (copied) return std::size_t{0};
    if (copied.error().code == Errc::unavailable) return std::move(copied).error();
    const bool sent_before = conn_->last_sqlstate() == kUniqueViolation;
    (void)conn_->exec_script("ROLLBACK");  // on a live connection; failing, the writes below say so

    TableRows requests{"requests", request_columns_, 1, {}, {}};
    TableRows prompts{"prompts", {"request_id", "unix_ms", "prompt"}, 0, {}, {}};
    TableRows feedback{"feedback", {"request_id", "unix_ms", "tier", "score", "error_cost_usd"}, 0, {}, {}};
    for (std::size_t i = 0; i < batch.requests.size(); ++i) {
      const auto r = batch.requests[i];
      Params row;
      for (int c = 0; c < RequestRows::kColumns; ++c) row.emplace_back(as_text(r.column(c)));
      row.emplace_back(std::to_string(written_ms));
      requests.add(std::move(row));
      if (!r.prompt().empty())
        prompts.add({std::string(r.id()), std::to_string(r.unix_ms()), std::string(r.prompt())});
    }
    for (const auto& f : batch.feedback) feedback.add(feedback_row(f));
    const TableRows* tables[] = {&requests, &prompts, &feedback};
    if (sent_before) {  // its rows are there already: upserts replace them
      auto all = write_by_upsert(tables);
      if (all) return std::size_t{0};
      if (all.error().code == Errc::unavailable) return std::move(all).error();
      (void)conn_->exec_script("ROLLBACK");
      spdlog::warn("{}; writing the batch's {} records one by one", all.error().message, batch.size());
    } else {
      spdlog::warn("{}; writing the batch's {} records one by one", copied.error().message, batch.size());
    }
    std::size_t failed = 0;
    for (const auto* t : tables) {
      const auto sql = upsert(*t, 1);
      for (const auto& row : t->rows) {
        auto st = conn_->exec(sql, row);
        if (st) continue;
        if (st.error().code == Errc::unavailable) return std::move(st).error();  // all again, later: upserts
        spdlog::error("{} (a {} row for {})", st.error().message, t->table, row.front().value_or(""));
        if (t != &prompts) ++failed;
      }
    }
    return failed;
  }

  void expire_prompts(std::int64_t before) override {
    if (auto st = conn_->exec("DELETE FROM prompts WHERE unix_ms < $1", {std::to_string(before)}); !st)
      spdlog::warn("{}", st.error().message);
  }

 private:
  static Params feedback_row(const FeedbackRecord& f) {
    return {f.request_id, std::to_string(f.unix_ms), f.tier, real_text(f.score),
            f.error_cost_usd ? std::optional(real_text(*f.error_cost_usd)) : std::nullopt};
  }

  // "INSERT ... VALUES (...), ... ON CONFLICT (key) DO UPDATE SET" every column but the key and the kept ones.
  static std::string upsert(const TableRows& t, std::size_t rows) {
    std::string sql = std::string("INSERT INTO ") + t.table + " (" + column_list(t.columns) + ") VALUES ";
    int n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (std::size_t c = 0; c < t.columns.size(); ++c) sql += (c ? ", $" : "$") + std::to_string(++n);
      sql += ')';
    }
    sql += " ON CONFLICT (" + t.columns.front() + ") DO UPDATE SET ";
    for (std::size_t c = 1; c + t.kept_on_conflict < t.columns.size(); ++c)
      sql += (c > 1 ? ", " : "") + t.columns[c] + " = EXCLUDED." + t.columns[c];
    return sql;
  }

  // The common case, one transaction: requests and prompts by COPY (which
  // fails on a key already present), feedback by upsert.
  Status write_by_copy(const LedgerBatch& batch, std::int64_t written_ms) {
    std::string requests, prompts;
    char written[24];
    const std::string_view written_text(written, std::to_chars(written, written + sizeof written, written_ms).ptr - written);
    TableRows feedback{"feedback", {"request_id", "unix_ms", "tier", "score", "error_cost_usd"}, 0, {}, {}};
    for (std::size_t i = 0; i < batch.requests.size(); ++i) {
      const auto r = batch.requests[i];
      for (int c = 0; c < RequestRows::kColumns; ++c) {
        append_copy_field(requests, r.column(c));
        requests += '\t';
      }
      requests.append(written_text);
      requests += '\n';
      if (!r.prompt().empty()) {
        for (const SqlValueView& v : {SqlValueView(r.id()), SqlValueView(r.unix_ms()), SqlValueView(r.prompt())}) {
          append_copy_field(prompts, v);
          prompts += '\t';
        }
        prompts.back() = '\n';
      }
    }
    for (const auto& f : batch.feedback) feedback.add(feedback_row(f));
    const auto copy_requests = "COPY requests (" + column_list(request_columns_) + ") FROM STDIN";
    // Requests alone (the common batch): one COPY is one statement, atomic without BEGIN/COMMIT round trips.
    if (prompts.empty() && feedback.rows.empty()) return requests.empty() ? Status(Ok{}) : conn_->copy_in(copy_requests, requests);
    if (auto st = conn_->exec_script("BEGIN"); !st) return st;
    if (!requests.empty())
      if (auto st = conn_->copy_in(copy_requests, requests); !st) return st;
    if (!prompts.empty())
      if (auto st = conn_->copy_in("COPY prompts (request_id, unix_ms, prompt) FROM STDIN", prompts); !st) return st;
    if (auto st = upsert_rows(feedback); !st) return st;
    return conn_->exec_script("COMMIT");
  }

  Status write_by_upsert(const TableRows* const (&tables)[3]) {
    if (auto st = conn_->exec_script("BEGIN"); !st) return st;
    for (const auto* t : tables)
      if (auto st = upsert_rows(*t); !st) return st;
    return conn_->exec_script("COMMIT");
  }

  Status upsert_rows(const TableRows& t) {
    for (std::size_t from = 0; from < t.rows.size(); from += kRowsPerStatement) {
      const auto n = std::min(kRowsPerStatement, t.rows.size() - from);
      Params params;
      params.reserve(n * t.columns.size());
      for (std::size_t r = from; r < from + n; ++r) params.insert(params.end(), t.rows[r].begin(), t.rows[r].end());
      if (auto st = conn_->exec(upsert(t, n), params); !st) return st;
    }
    return Ok{};
  }

  std::vector<std::string> request_columns_;  // kRequestColumns, then written_ms
  std::unique_ptr<PostgresConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<LedgerStore>> open_postgres_store(const LedgerLocation& where) {
  auto conn = PostgresConnection::connect(where, std::chrono::milliseconds(100));
  if (!conn) return std::move(conn).error();
  // Replicas starting together: one creates or migrates the tables, the others wait for it.
  std::string script = "SELECT pg_advisory_lock(7216432001);\n";
  script += kPostgresSchema;
  for (const char* column : kAddedRequestColumns) {
    std::string def = column;
    if (auto at = def.find(" INTEGER "); at != std::string::npos) def.replace(at, 9, " BIGINT ");
    script += "ALTER TABLE requests ADD COLUMN IF NOT EXISTS " + def + ";\n";
  }
  script += "SELECT pg_advisory_unlock(7216432001);\n";
  if (auto st = (*conn)->exec_script(script); !st)
    return make_error(Errc::internal, st.error().message + " (creating the ledger's tables)");
  return std::unique_ptr<LedgerStore>(new PostgresStore(std::move(conn.value())));
}

}  // namespace fulcrum
