#include "ledger/ledger_reader.h"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>

#include <boost/json.hpp>

#include "core/money.h"

namespace fulcrum {
namespace {

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

Result<std::unique_ptr<Db>> open_read_only(const std::string& path) {
  auto d = std::make_unique<Db>();
  if (sqlite3_open_v2(path.c_str(), &d->db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return make_error(Errc::invalid_request, "ledger " + path + ": cannot open: " + sqlite3_errmsg(d->db));
  sqlite3_busy_timeout(d->db, 2000);
  return d;
}

struct Query {
  sqlite3_stmt* s = nullptr;
  ~Query() { sqlite3_finalize(s); }
};

Result<std::unique_ptr<Query>> prepare(sqlite3* db, const std::string& path, const char* sql) {
  auto q = std::make_unique<Query>();
  if (sqlite3_prepare_v2(db, sql, -1, &q->s, nullptr) != SQLITE_OK)
    return make_error(Errc::invalid_request, "ledger " + path + ": " + sqlite3_errmsg(db) +
                                                 " (is this a fulcrum ledger?)");
  return q;
}

std::string text(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<std::vector<DayTierSummary>> summarize_by_day(const std::string& path, std::int64_t since) {
  auto db = open_read_only(path);
  if (!db) return std::move(db).error();
  std::map<std::pair<std::int64_t, std::string>, TierSummary> days;
  auto q = prepare((*db)->db, path,
                   "SELECT unix_ms / 86400000 AS day, tier, COUNT(*), SUM(status BETWEEN 200 AND 299), SUM(status >= 400), "
                   "SUM(escalated), SUM(cost_pico_usd), SUM(prompt_tokens), SUM(completion_tokens), SUM(fell_back) FROM requests "
                   "WHERE unix_ms >= ? GROUP BY day, tier");
  if (!q) return std::move(q).error();
  sqlite3_bind_int64((*q)->s, 1, since);
  while (sqlite3_step((*q)->s) == SQLITE_ROW) {
    auto* s = (*q)->s;
    auto& t = days[{sqlite3_column_int64(s, 0), text(s, 1)}];
    t.tier = text(s, 1);
    t.requests = sqlite3_column_int64(s, 2);
    t.succeeded = sqlite3_column_int64(s, 3);
    t.failed = sqlite3_column_int64(s, 4);
    t.escalated = sqlite3_column_int64(s, 5);
    t.cost_pico_usd = sqlite3_column_int64(s, 6);
    t.prompt_tokens = sqlite3_column_int64(s, 7);
    t.completion_tokens = sqlite3_column_int64(s, 8);
    t.fell_back = sqlite3_column_int64(s, 9);
  }
  auto f = prepare((*db)->db, path,
                   "SELECT unix_ms / 86400000 AS day, tier, COUNT(*), SUM(1 - score), SUM(error_cost_usd), "
                   "COUNT(error_cost_usd) FROM feedback WHERE unix_ms >= ? GROUP BY day, tier");
  if (!f) return std::move(f).error();
  sqlite3_bind_int64((*f)->s, 1, since);
  while (sqlite3_step((*f)->s) == SQLITE_ROW) {
    auto* s = (*f)->s;
    auto& t = days[{sqlite3_column_int64(s, 0), text(s, 1)}];
    t.tier = text(s, 1);
    t.feedback = sqlite3_column_int64(s, 2);
    t.feedback_errors = sqlite3_column_double(s, 3);
    t.error_cost_sum = sqlite3_column_double(s, 4);
    t.error_cost_count = sqlite3_column_int64(s, 5);
  }
  std::vector<DayTierSummary> out;
  for (auto& [key, t] : days) out.push_back(DayTierSummary{key.first, std::move(t)});
  return out;
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

Result<LedgerSummary> summarize_ledger(const std::string& path, std::int64_t since) {
  auto days = summarize_by_day(path, since);
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

Result<std::vector<MinuteTokens>> tokens_by_minute(const std::string& path, std::int64_t since) {
  auto db = open_read_only(path);
  if (!db) return std::move(db).error();
  auto q = prepare((*db)->db, path,
                   "SELECT unix_ms / 86400000 AS day, (unix_ms / 60000) % 1440 AS minute, SUM(answer_prompt_tokens), "
                   "SUM(answer_cache_hit_tokens), SUM(answer_completion_tokens) FROM requests "
                   "WHERE unix_ms >= ? AND tier != '' "
                   "GROUP BY day, minute");
  if (!q) return std::move(q).error();
  sqlite3_bind_int64((*q)->s, 1, since);
  std::vector<MinuteTokens> out;
  while (sqlite3_step((*q)->s) == SQLITE_ROW) {
    auto* s = (*q)->s;
    out.push_back(MinuteTokens{sqlite3_column_int64(s, 0), static_cast<int>(sqlite3_column_int64(s, 1)),
                               sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)});
  }
  return out;
}

Result<std::vector<TierHour>> tier_mix_by_hour(const std::string& path, std::int64_t since) {
  auto db = open_read_only(path);
  if (!db) return std::move(db).error();
  auto q = prepare((*db)->db, path,
                   "SELECT (unix_ms / 3600000) * 3600000 AS hour, tier, COUNT(*) FROM requests WHERE unix_ms >= ? "
                   "GROUP BY hour, tier ORDER BY hour, tier");
  if (!q) return std::move(q).error();
  sqlite3_bind_int64((*q)->s, 1, since);
  std::vector<TierHour> out;
  while (sqlite3_step((*q)->s) == SQLITE_ROW)
    out.push_back(TierHour{sqlite3_column_int64((*q)->s, 0), text((*q)->s, 1), sqlite3_column_int64((*q)->s, 2)});
  return out;
}

Status export_ledger(const std::string& path, std::int64_t since, std::string_view format, std::ostream& out) {
  if (format != "csv" && format != "jsonl")
    return make_error(Errc::invalid_request, "--format must be csv or jsonl");
  auto db = open_read_only(path);
  if (!db) return std::move(db).error();
  auto q = prepare((*db)->db, path,
                   "SELECT r.*, (SELECT AVG(score) FROM feedback f WHERE f.request_id = r.id) AS feedback_score "
                   "FROM requests r WHERE r.unix_ms >= ? ORDER BY r.unix_ms, r.id");
  if (!q) return std::move(q).error();
  auto* s = (*q)->s;
  sqlite3_bind_int64(s, 1, since);
  const int columns = sqlite3_column_count(s);
  int cost_column = -1;
  for (int c = 0; c < columns; ++c)
    if (std::string_view(sqlite3_column_name(s, c)) == "cost_pico_usd") cost_column = c;
  // cost_usd: the exact decimal of cost_pico_usd, for spreadsheets.
  if (format == "csv") {
    for (int c = 0; c < columns; ++c) out << (c ? "," : "") << sqlite3_column_name(s, c);
    out << ",cost_usd\n";
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto cost = format_usd(sqlite3_column_int64(s, cost_column));
    if (format == "csv") {
      for (int c = 0; c < columns; ++c) out << (c ? "," : "") << csv_field(text(s, c));
      out << ',' << cost << '\n';
    } else {
      boost::json::object o;
      o["cost_usd"] = cost;
      for (int c = 0; c < columns; ++c) {
        const char* name = sqlite3_column_name(s, c);
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_INTEGER: o[name] = sqlite3_column_int64(s, c); break;
          case SQLITE_FLOAT: o[name] = sqlite3_column_double(s, c); break;
          case SQLITE_NULL: o[name] = nullptr; break;
          default: o[name] = text(s, c);
        }
      }
      out << boost::json::serialize(o) << '\n';
    }
  }
  if (rc != SQLITE_DONE) return make_error(Errc::internal, "ledger " + path + ": " + sqlite3_errmsg((*db)->db));
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

Result<std::vector<JudgedPrompt>> judged_prompts(const std::string& path) {
  auto db = open_read_only(path);
  if (!db) return std::move(db).error();
  // One verdict per request is kept; an older ledger may hold several: the latest wins.
  auto q = prepare((*db)->db, path,
                   "SELECT p.request_id, p.prompt, r.tier, f.score FROM prompts p "
                   "JOIN requests r ON r.id = p.request_id "
                   "JOIN feedback f ON f.request_id = p.request_id "
                   "WHERE r.status BETWEEN 200 AND 299 AND f.rowid = "
                   "(SELECT MAX(rowid) FROM feedback WHERE request_id = p.request_id) "
                   "ORDER BY p.unix_ms");
  if (!q) return std::move(q).error();
  std::vector<JudgedPrompt> out;
  while (sqlite3_step((*q)->s) == SQLITE_ROW)
    out.push_back(JudgedPrompt{text((*q)->s, 0), text((*q)->s, 1), text((*q)->s, 2), sqlite3_column_double((*q)->s, 3)});
  return out;
}

}  // namespace fulcrum
