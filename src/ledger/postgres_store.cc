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

#include <cstdio>
#include <map>

#include "ledger/ledger_store.h"
#include "ledger/postgres_connection.h"
#include "ledger/schema.h"

namespace fulcrum {
namespace {

using Params = std::vector<std::optional<std::string>>;

// PostgreSQL takes at most 65535 parameters a statement.
constexpr std::size_t kRowsPerStatement = 1000;
constexpr const char* kUniqueViolation = "23505";

std::string as_text(const SqlValue& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  return std::get<std::string>(v);
}

std::string real_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// "INSERT INTO t (c1, c2) VALUES ($1, $2), ($3, $4) ON CONFLICT (key) DO UPDATE SET c2 = EXCLUDED.c2"
std::string upsert(const char* table, const std::vector<std::string>& columns, std::size_t rows) {
  std::string sql = std::string("INSERT INTO ") + table + " (";
  for (std::size_t c = 0; c < columns.size(); ++c) sql += (c ? ", " : "") + columns[c];
  sql += ") VALUES ";
  int n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t c = 0; c < columns.size(); ++c) sql += (c ? ", $" : "$") + std::to_string(++n);
    sql += ')';
  }
  sql += " ON CONFLICT (" + columns.front() + ") DO UPDATE SET ";
  for (std::size_t c = 1; c < columns.size(); ++c)
    sql += (c > 1 ? ", " : "") + columns[c] + " = EXCLUDED." + columns[c];
  return sql;
}

// One table's rows of a batch: the latest row per key (an upsert may not
// touch a row twice), in arrival order.
struct TableRows {
  const char* table;
  std::vector<std::string> columns;
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

class PostgresStore final : public LedgerStore {
 public:
  explicit PostgresStore(std::unique_ptr<PostgresConnection> conn) : conn_(std::move(conn)) {}

  Result<std::size_t> write(const std::deque<LedgerItem>& batch) override {
    std::vector<std::string> request_columns(std::begin(kRequestColumns), std::end(kRequestColumns));
    TableRows requests{"requests", request_columns, {}, {}};
    TableRows prompts{"prompts", {"request_id", "unix_ms", "prompt"}, {}, {}};
    TableRows feedback{"feedback", {"request_id", "unix_ms", "tier", "score", "error_cost_usd"}, {}, {}};
    for (const auto& item : batch) {
      if (const auto* r = std::get_if<RequestRecord>(&item)) {
        Params row;
        for (const auto& v : request_row(*r)) row.emplace_back(as_text(v));
        requests.add(std::move(row));
        if (!r->prompt.empty()) prompts.add({r->id, std::to_string(r->unix_ms), r->prompt});
      } else {
        const auto& f = std::get<FeedbackRecord>(item);
        feedback.add({f.request_id, std::to_string(f.unix_ms), f.tier, real_text(f.score),
                      f.error_cost_usd ? std::optional(real_text(*f.error_cost_usd)) : std::nullopt});
      }
    }
    const TableRows* tables[] = {&requests, &prompts, &feedback};

    for (const bool copy : {true, false}) {
      auto all = write_in_one_transaction(tables, copy);
      if (all) return std::size_t{0};
      if (all.error().code == Errc::unavailable) return std::move(all).error();
      const bool keys_present = copy && conn_->last_sqlstate() == kUniqueViolation;
      (void)conn_->exec_script("ROLLBACK");  // on a live connection; failing, the writes below say so
      if (keys_present) continue;  // sent before: upserts replace what is there
      spdlog::warn("{}; writing the batch's {} records one by one", all.error().message, batch.size());
      break;
    }
    std::size_t failed = 0;
    for (const auto* t : tables) {
      const auto sql = upsert(t->table, t->columns, 1);
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
  // copy: requests and prompts by COPY (fails on a key already present); else all by upsert.
  Status write_in_one_transaction(const TableRows* const (&tables)[3], bool copy) {
    if (auto st = conn_->exec_script("BEGIN"); !st) return st;
    for (const auto* t : tables) {
      if (t->rows.empty()) continue;
      if (copy && std::string_view(t->table) != "feedback") {
        std::string sql = std::string("COPY ") + t->table + " (";
        for (std::size_t c = 0; c < t->columns.size(); ++c) sql += (c ? ", " : "") + t->columns[c];
        sql += ") FROM STDIN";
        std::string data;
        for (const auto& row : t->rows) {
          for (std::size_t c = 0; c < row.size(); ++c) {
            if (c) data += '\t';
            if (row[c]) copy_text(data, *row[c]);
            else data += "\\N";
          }
          data += '\n';
        }
        if (auto st = conn_->copy_in(sql, data); !st) return st;
        continue;
      }
      for (std::size_t from = 0; from < t->rows.size(); from += kRowsPerStatement) {
        const auto n = std::min(kRowsPerStatement, t->rows.size() - from);
        Params params;
        params.reserve(n * t->columns.size());
        for (std::size_t r = from; r < from + n; ++r) params.insert(params.end(), t->rows[r].begin(), t->rows[r].end());
        if (auto st = conn_->exec(upsert(t->table, t->columns, n), params); !st) return st;
      }
    }
    return conn_->exec_script("COMMIT");
  }

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
