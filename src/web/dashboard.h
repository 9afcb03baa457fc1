#pragma once
// The numbers behind /dashboard, read from the ledger by a background thread
// once a second, so the page never makes a worker thread wait on SQLite:
// the handler returns the latest snapshot (JSON) at once.
//
// The article's three monitors: fallback (escalation) rate with its 15% alert,
// error rate of the cheap tier vs the strong one (from feedback), cost per
// successful request; plus spend today per tier, the tier mix per hour over
// the last 24 h, and the break-even verdict from measured error rates.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"

namespace fulcrum {

class DashboardData {
 public:
  // Reads `ledger_path`; `error_cost_usd` is the break-even's cost of a wrong
  // answer when feedback gives none.
  DashboardData(const Config& config, std::string ledger_path, double error_cost_usd = 10);
  ~DashboardData();
  std::string json() const;  // the latest snapshot
  void refresh();            // recomputes now (the thread calls it every second)

 private:
  std::string compute() const;

  std::string ledger_path_;
  std::string cheap_, strong_;  // tier names: cheapest and dearest by price
  double error_cost_usd_;
  mutable std::mutex mutex_;
  std::string snapshot_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The page itself: static HTML + JS that polls /dashboard/data.json.
const std::string& dashboard_page();

}  // namespace fulcrum
