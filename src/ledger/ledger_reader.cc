#include "ledger/ledger_reader.h"

#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <ostream>

#include <boost/json.hpp>

#include "core/money.h"
#include "ledger/schema.h"
#include "ledger/sql_connection.h"

namespace fulcrum {
namespace {

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// One query on a fresh read-only connection.
Status read(const LedgerLocation& where, std::string_view sql, const std::vector<SqlValue>& params,
            const std::function<void(const SqlRow&)>& on_row) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  return (*db)->query(sql, params, on_row);
}

}  // namespace

namespace {

// The requests' figures since a time, optionally only rows written (by any
// replica, PostgreSQL) in [from, to): `extra` narrows the WHERE clause.
struct RequestFilter {
  std::int64_t since = 0;
  std::optional<std::pair<std::int64_t, std::int64_t>> written;
  std::string where() const { return written ? "unix_ms >= ? AND written_ms >= ? AND written_ms < ? " : "unix_ms >= ? "; }
  std::vector<SqlValue> params() const {
    if (!written) return {since};
    return {since, written->first, written->second};
  }
};

Status request_days(SqlConnection& db, const RequestFilter& f, std::map<std::pair<std::int64_t, std::string>, TierSummary>& days) {
  return db.query(
      "SELECT unix_ms / 86400000 AS day, tier, COUNT(*), SUM(CASE WHEN status BETWEEN 200 AND 299 THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(escalated), SUM(cost_pico_usd), SUM(prompt_tokens), "
      "SUM(completion_tokens), SUM(fell_back) FROM requests WHERE " + f.where() + "GROUP BY day, tier",
      f.params(), [&](const SqlRow& row) {
        auto& t = days[{row.integer(0), row.text(1)}];
        t.tier = row.text(1);
        t.requests = row.integer(2);
        t.succeeded = row.integer(3);
        t.failed = row.integer(4);
        t.escalated = row.integer(5);
        t.cost_pico_usd = row.integer(6);
        t.prompt_tokens = row.integer(7);
        t.completion_tokens = row.integer(8);
        t.fell_back = row.integer(9);
      });
}

Status feedback_days(SqlConnection& db, std::int64_t since, std::map<std::pair<std::int64_t, std::string>, TierSummary>& days) {
  return db.query(
      "SELECT unix_ms / 86400000 AS day, tier, COUNT(*), SUM(1 - score), SUM(error_cost_usd), COUNT(error_cost_usd) "
      "FROM feedback WHERE unix_ms >= ? GROUP BY day, tier",
      {since}, [&](const SqlRow& row) {
        auto& t = days[{row.integer(0), row.text(1)}];
        t.tier = row.text(1);
        t.feedback = row.integer(2);
        t.feedback_errors = row.real(3);
        t.error_cost_sum = row.real(4);
        t.error_cost_count = row.integer(5);
      });
}

Status request_minutes(SqlConnection& db, const RequestFilter& f, std::vector<MinuteTokens>& out) {
  return db.query(
      "SELECT unix_ms / 86400000 AS day, (unix_ms / 60000) % 1440 AS minute, SUM(answer_prompt_tokens), "
      "SUM(answer_cache_hit_tokens), SUM(answer_completion_tokens) FROM requests WHERE " + f.where() +
          "AND tier != '' GROUP BY day, minute",
      f.params(), [&](const SqlRow& row) {
        out.push_back(MinuteTokens{row.integer(0), static_cast<int>(row.integer(1)), row.integer(2), row.integer(3),
                                   row.integer(4)});
      });
}

Status request_hours(SqlConnection& db, const RequestFilter& f, std::vector<TierHour>& out) {
  return db.query("SELECT (unix_ms / 3600000) * 3600000 AS hour, tier, COUNT(*) FROM requests WHERE " + f.where() +
                      "GROUP BY hour, tier ORDER BY hour, tier",
                  f.params(),
                  [&](const SqlRow& row) { out.push_back(TierHour{row.integer(0), row.text(1), row.integer(2)}); });
}

std::vector<DayTierSummary> flatten(std::map<std::pair<std::int64_t, std::string>, TierSummary>& days) {
  std::vector<DayTierSummary> out;
  for (auto& [key, t] : days) out.push_back(DayTierSummary{key.first, std::move(t)});
  return out;
}

}  // namespace

Result<std::vector<DayTierSummary>> summarize_by_day(const LedgerLocation& where, std::int64_t since) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  std::map<std::pair<std::int64_t, std::string>, TierSummary> days;
  if (auto st = request_days(**db, RequestFilter{since, std::nullopt}, days); !st) return std::move(st).error();
  if (auto st = feedback_days(**db, since, days); !st) return std::move(st).error();
  return flatten(days);
}

Result<WrittenRequests> requests_written_between(const LedgerLocation& where, std::int64_t since,
                                                 std::int64_t from_written_ms, std::int64_t to_written_ms) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  const RequestFilter f{since, std::pair(from_written_ms, to_written_ms)};
  std::map<std::pair<std::int64_t, std::string>, TierSummary> days;
  WrittenRequests out;
  if (auto st = request_days(**db, f, days); !st) return std::move(st).error();
  if (auto st = request_hours(**db, f, out.hours); !st) return std::move(st).error();
  if (auto st = request_minutes(**db, f, out.minutes); !st) return std::move(st).error();
  out.days = flatten(days);
  return out;
}

Result<std::vector<DayTierSummary>> feedback_by_day(const LedgerLocation& where, std::int64_t since) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  std::map<std::pair<std::int64_t, std::string>, TierSummary> days;
  if (auto st = feedback_days(**db, since, days); !st) return std::move(st).error();
  return flatten(days);
}

void add_to(TierSummary& into, const TierSummary& s) {
  into.requests += s.requests;
  into.succeeded += s.succeeded;
  into.failed += s.failed;
  into.escalated += s.escalated;
  into.fell_back += s.fell_back;
  into.cost_pico_usd += s.cost_pico_usd;
  into.prompt_tokens += s.prompt_tokens;
  into.completion_tokens += s.completion_tokens;
  into.feedback += s.feedback;
  into.feedback_errors += s.feedback_errors;
  into.error_cost_sum += s.error_cost_sum;
  into.error_cost_count += s.error_cost_count;
}

Result<LedgerSummary> summarize_ledger(const LedgerLocation& where, std::int64_t since) {
  auto days = summarize_by_day(where, since);
  if (!days) return std::move(days).error();
  std::map<std::string, TierSummary> tiers;
  for (const auto& d : *days) {
    auto& t = tiers[d.summary.tier];
    t.tier = d.summary.tier;
    add_to(t, d.summary);
  }
  LedgerSummary out;
  for (auto& [name, t] : tiers) {
    add_to(out.total, t);
    out.tiers.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<MinuteTokens>> tokens_by_minute(const LedgerLocation& where, std::int64_t since) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  std::vector<MinuteTokens> out;
  if (auto st = request_minutes(**db, RequestFilter{since, std::nullopt}, out); !st) return std::move(st).error();
  return out;
}

Result<std::vector<TierHour>> tier_mix_by_hour(const LedgerLocation& where, std::int64_t since) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  std::vector<TierHour> out;
  if (auto st = request_hours(**db, RequestFilter{since, std::nullopt}, out); !st) return std::move(st).error();
  return out;
}

Status export_ledger(const LedgerLocation& where, std::int64_t since, std::string_view format, std::ostream& out) {
  if (format != "csv" && format != "jsonl")
    return make_error(Errc::invalid_request, "--format must be csv or jsonl");
  bool header = format == "csv";
  int cost_column = -1;
  // The columns by name: a PostgreSQL ledger holds one more (written_ms), and its column order differs.
  std::string sql = "SELECT ";
  for (const char* c : kRequestColumns) sql += std::string("r.") + c + ", ";
  sql += "(SELECT AVG(score) FROM feedback f WHERE f.request_id = r.id) AS feedback_score "
         "FROM requests r WHERE r.unix_ms >= ? ORDER BY r.unix_ms, r.id";
  auto st = read(where, sql, {since}, [&](const SqlRow& row) {
                   const int columns = row.columns();
                   if (cost_column < 0)
                     for (int c = 0; c < columns; ++c)
                       if (row.name(c) == "cost_pico_usd") cost_column = c;
                   // cost_usd: the exact decimal of cost_pico_usd, for spreadsheets.
                   const auto cost = format_usd(row.integer(cost_column));
                   if (header) {
                     for (int c = 0; c < columns; ++c) out << (c ? "," : "") << row.name(c);
                     out << ",cost_usd\n";
                     header = false;
                   }
                   if (format == "csv") {
                     for (int c = 0; c < columns; ++c) out << (c ? "," : "") << csv_field(row.text(c));
                     out << ',' << cost << '\n';
                     return;
                   }
                   boost::json::object o;
                   o["cost_usd"] = cost;
                   for (int c = 0; c < columns; ++c) {
                     const auto name = row.name(c);
                     switch (row.kind(c)) {
                       case SqlRow::Kind::integer: o[name] = row.integer(c); break;
                       case SqlRow::Kind::real: o[name] = row.real(c); break;
                       case SqlRow::Kind::null: o[name] = nullptr; break;
                       default: o[name] = row.text(c);
                     }
                   }
                   out << boost::json::serialize(o) << '\n';
                 });
  if (!st) return st;
  if (header) {  // no rows: the header alone
    for (const char* c : kRequestColumns) out << c << ',';
    out << "feedback_score,cost_usd\n";
  }
  if (!out) return make_error(Errc::internal, "cannot write the export");
  return Ok{};
}

Result<std::int64_t> parse_since(std::string_view text, std::int64_t now) {
  auto bad = [&] {
    return make_error(Errc::invalid_request, "--since \"" + std::string(text) +
                                                 "\": expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or a span like 30m, 24h, 7d");
  };
  if (text.empty()) return bad();
  const char unit = text.back();
  if (unit == 'm' || unit == 'h' || unit == 'd') {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
    if (ec != std::errc() || p != text.data() + text.size() - 1 || n < 0) return bad();
    const std::int64_t unit_ms = unit == 'm' ? 60000 : unit == 'h' ? 3600000 : 86400000;
    return now - n * unit_ms;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  auto num = [&](std::size_t at, std::size_t len, int& dst) {
    if (at + len > text.size()) return false;
    auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + len, dst);
    return ec == std::errc() && p == text.data() + at + len;
  };
  if (!num(0, 4, y) || text.size() < 10 || text[4] != '-' || !num(5, 2, mo) || text[7] != '-' || !num(8, 2, d))
    return bad();
  if (text.size() > 10) {
    if (text.size() != 20 || text[10] != 'T' || !num(11, 2, h) || text[13] != ':' || !num(14, 2, mi) ||
        text[16] != ':' || !num(17, 2, s) || text[19] != 'Z')
      return bad();
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return bad();
  const auto days = std::chrono::sys_days(ymd).time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(days).count() + (h * 3600LL + mi * 60LL + s) * 1000LL;
}

Result<std::vector<JudgedPrompt>> judged_prompts(const LedgerLocation& where) {
  auto db = open_sql_reader(where);
  if (!db) return std::move(db).error();
  // One verdict per request is kept (PostgreSQL: the key); an older SQLite ledger may hold several: the latest wins.
  const bool sqlite = (*db)->dialect() == SqlConnection::Dialect::sqlite;
  const std::string sql = std::string(
                              "SELECT p.request_id, p.prompt, r.tier, f.score FROM prompts p "
                              "JOIN requests r ON r.id = p.request_id "
                              "JOIN feedback f ON f.request_id = p.request_id "
                              "WHERE r.status BETWEEN 200 AND 299 ") +
                          (sqlite ? "AND f.rowid = (SELECT MAX(rowid) FROM feedback WHERE request_id = p.request_id) " : "") +
                          "ORDER BY p.unix_ms";
  std::vector<JudgedPrompt> out;
  auto st = (*db)->query(sql, {}, [&](const SqlRow& row) {
    out.push_back(JudgedPrompt{row.text(0), row.text(1), row.text(2), row.real(3)});
  });
  if (!st) return std::move(st).error();
  return out;
}

}  // namespace fulcrum
