#pragma once
// Reads the ledger for `fulcrum ledger export`, the dashboard and break-even:
// a read-only connection per call (SQLite's WAL lets it run beside the
// writer). A location is a SQLite file or a postgresql:// URL.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "config/ledger_location.h"

namespace fulcrum {

struct TierSummary {
  std::string tier;
  std::int64_t requests = 0;
  std::int64_t succeeded = 0;  // 2xx
  std::int64_t failed = 0;     // status >= 400
  std::int64_t escalated = 0;  // a cascade discarded the cheap answer
  std::int64_t fell_back = 0;  // the chosen tier failed: a fallback tier was tried
  std::int64_t cost_pico_usd = 0;
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  std::int64_t feedback = 0;     // feedback records
  double feedback_errors = 0;    // sum of (1 - score)
  double error_cost_sum = 0;     // error_cost_usd given with feedback
  std::int64_t error_cost_count = 0;
  double error_rate() const { return feedback ? feedback_errors / static_cast<double>(feedback) : 0; }
};

struct LedgerSummary {
  std::vector<TierSummary> tiers;  // by tier name
  TierSummary total;
};

Result<LedgerSummary> summarize_ledger(const LedgerLocation& where, std::int64_t since_unix_ms);
// Adds every count and sum of `s` into `into`.
void add_to(TierSummary& into, const TierSummary& s);

// The same per UTC day and tier (requests by their time, feedback by its own).
struct DayTierSummary {
  std::int64_t day = 0;  // days since the epoch
  TierSummary summary;
};
Result<std::vector<DayTierSummary>> summarize_by_day(const LedgerLocation& where, std::int64_t since_unix_ms);

// Requests per hour and tier since then: (hour start ms, tier, requests).
struct TierHour {
  std::int64_t hour_unix_ms = 0;
  std::string tier;
  std::int64_t requests = 0;
};
Result<std::vector<TierHour>> tier_mix_by_hour(const LedgerLocation& where, std::int64_t since_unix_ms);

// The answers' tokens (the last billed call of each request) since then, per
// day and minute of the UTC day: what they would have cost at another tier's
// prices, price windows included. Requests from before the answer columns
// existed count as zero.
struct MinuteTokens {
  std::int64_t day = 0;
  int utc_minute = 0;
  std::int64_t prompt_tokens = 0, cache_hit_tokens = 0, completion_tokens = 0;
};
Result<std::vector<MinuteTokens>> tokens_by_minute(const LedgerLocation& where, std::int64_t since_unix_ms);

// A shared (PostgreSQL) ledger's requests since then that were written, by
// any replica, in [from, to) of their written_ms: the same figures as above,
// for a dashboard that reads only what is new.
struct WrittenRequests {
  std::vector<DayTierSummary> days;  // the requests' counts and sums; no feedback
  std::vector<TierHour> hours;
  std::vector<MinuteTokens> minutes;
};
Result<WrittenRequests> requests_written_between(const LedgerLocation& where, std::int64_t since_unix_ms,
                                                 std::int64_t from_written_ms, std::int64_t to_written_ms);
// Feedback alone per UTC day and tier (by the feedback's time).
Result<std::vector<DayTierSummary>> feedback_by_day(const LedgerLocation& where, std::int64_t since_unix_ms);

// Every request since then, oldest first, with its mean feedback score, as
// CSV (with a header) or JSON lines.
Status export_ledger(const LedgerLocation& where, std::int64_t since_unix_ms, std::string_view format, std::ostream& out);

// A request the router can learn from: its captured prompt (ledger.capture:
// prompts), the tier that answered it and the latest feedback on the answer.
struct JudgedPrompt {
  std::string request_id;
  std::string prompt;
  std::string tier;
  double score = 0;  // 0..1
};

// Every answered (2xx) request with a captured prompt and feedback, oldest first.
Result<std::vector<JudgedPrompt>> judged_prompts(const LedgerLocation& where);

// "2026-11-28", "2026-11-28T10:00:00Z", or relative to now: "30m", "24h", "7d".
Result<std::int64_t> parse_since(std::string_view text, std::int64_t now_unix_ms);

}  // namespace fulcrum
