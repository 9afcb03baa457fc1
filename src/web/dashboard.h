#pragma once
// The numbers behind /dashboard. Seeded once from the ledger at start-up
// (the last 30 days per day and tier, the last 24 hours per hour), then kept
// up to date in memory from the same records the ledger receives, so showing
// the page never scans the ledger and never makes a worker wait on SQLite.
// With a ledger every replica shares (PostgreSQL) the dashboard instead
// follows the ledger, off the request path: every few seconds it adds the
// requests any replica wrote since its last read (by their written_ms, up to
// a moment whose writes have all committed) and reads the feedback again
// (verdicts replace one another). It shows every replica's traffic, and this
// process's own records are not added twice. A read costs what is new, not
// the 30 days kept.
//
// The article's three monitors: fallback (escalation) rate with its 15% alert,
// error rate of the cheap tier vs the strong one (from feedback, 30 days),
// cost per successful request; plus spend today per tier, what today's
// requests would have cost had every one gone to the dearest tier (the
// article's $3,200 routed vs $14,500 all-Pro), the tier mix per hour over the
// last 24 h, and the break-even verdict from measured error rates.
// Thread-safe (one mutex; updates are a few map operations).
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/result.h"
#include "ledger/ledger_reader.h"
#include "accounting/request_record.h"

namespace fulcrum {

class DashboardData final : public RequestObserver, public DashboardView {
 public:
  // `error_cost_usd`: the break-even's cost of a wrong answer when feedback gives none.
  DashboardData(const Config& config, double error_cost_usd = 10);
  // Loads the ledger's recent history (call before serving).
  Status seed(const LedgerLocation& ledger, std::int64_t now_unix_ms);
  // A shared ledger: the first call loads it, each later one adds what was
  // written since; this process's own records are no longer added.
  Status follow(const LedgerLocation& ledger, std::int64_t now_unix_ms);

  void on_request_done(const RequestRecord& record) override;
  void on_feedback(const FeedbackRecord& feedback) override;
  std::string json(std::int64_t now_unix_ms) const override;
  const std::string& page() const override;

 private:
  void add(std::int64_t day, const TierSummary& s);
  // The same tokens billed at the dearest tier's prices at that minute.
  PicoUsd at_strong_prices(int utc_minute, std::int64_t prompt, std::int64_t cache_hit,
                           std::int64_t completion) const;

  std::string cheap_, strong_;  // tier names: cheapest and dearest by price
  std::optional<Tier> strong_tier_;  // a copy, so no config need outlive the dashboard
  double error_cost_usd_;
  std::atomic<bool> follows_ledger_{false};
  std::int64_t followed_to_ = 0;  // follow(): rows written before this are in the figures
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::map<std::string, TierSummary>> days_;         // day -> tier -> totals
  std::map<std::int64_t, std::map<std::string, std::int64_t>> hours_;       // hour start ms -> tier -> requests
  std::map<std::int64_t, PicoUsd> all_strong_;                               // day -> cost had all gone to strong_
};

// The page itself: static HTML + JS that polls /dashboard/data.json.
const std::string& dashboard_page();

}  // namespace fulcrum
