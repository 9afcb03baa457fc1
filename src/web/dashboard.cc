#include "web/dashboard.h"

#include <chrono>

#include <boost/json.hpp>

#include "core/money.h"
#include "ledger/ledger_reader.h"
#include "sim/breakeven.h"

namespace fulcrum {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DashboardData::DashboardData(const Config& config, std::string ledger_path, double error_cost_usd)
    : ledger_path_(std::move(ledger_path)), error_cost_usd_(error_cost_usd) {
  // Cheapest and dearest tiers by list price: the article's Flash and Pro.
  double lo = 0, hi = 0;
  for (const auto& t : config.tiers) {
    const double p = static_cast<double>(t.prices.input + t.prices.output);
    if (cheap_.empty() || p < lo) lo = p, cheap_ = t.name;
    if (strong_.empty() || p > hi) hi = p, strong_ = t.name;
  }
  refresh();
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      refresh();
      lock.lock();
    }
  });
}

DashboardData::~DashboardData() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

std::string DashboardData::json() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void DashboardData::refresh() {
  auto s = compute();
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(s);
}

std::string DashboardData::compute() const {
  const auto now = now_ms();
  const auto day_start = now - now % 86400000;
  boost::json::object o;
  o["generated_unix_ms"] = now;
  o["cheap_tier"] = cheap_;
  o["strong_tier"] = strong_;
  auto today = summarize_ledger(ledger_path_, day_start);
  auto month = summarize_ledger(ledger_path_, now - 30LL * 86400000);
  auto mix = tier_mix_by_hour(ledger_path_, now - 24LL * 3600000);
  if (!today || !month || !mix) {
    o["error"] = (!today ? today.error() : !month ? month.error() : mix.error()).message;
    return boost::json::serialize(o);
  }
  const auto& t = today->total;
  boost::json::object day;
  day["requests"] = t.requests;
  day["spend_usd"] = format_usd(t.cost_pico_usd);
  day["escalated"] = t.escalated;
  const double fallback = t.requests ? static_cast<double>(t.escalated) / static_cast<double>(t.requests) : 0.0;
  day["fallback_rate"] = fallback;
  day["fallback_alert"] = fallback > 0.15 ? "red" : fallback > 0.10 ? "amber" : "ok";
  const double good = static_cast<double>(t.succeeded) - t.feedback_errors;
  if (good > 0) day["cost_per_success_usd"] = static_cast<double>(t.cost_pico_usd) / 1e12 / good;
  else day["cost_per_success_usd"] = nullptr;
  o["today"] = std::move(day);

  boost::json::array tiers;
  for (const auto& ts : today->tiers) {
    boost::json::object x;
    x["tier"] = ts.tier;
    x["requests"] = ts.requests;
    x["spend_usd"] = format_usd(ts.cost_pico_usd);
    x["share"] = t.requests ? static_cast<double>(ts.requests) / static_cast<double>(t.requests) : 0.0;
    tiers.push_back(std::move(x));
  }
  o["tiers_today"] = std::move(tiers);

  // Error rates over 30 days of feedback: a day rarely has enough.
  boost::json::object errors;
  const TierSummary* cheap = nullptr;
  const TierSummary* strong = nullptr;
  for (const auto& ts : month->tiers) {
    if (ts.tier == cheap_) cheap = &ts;
    if (ts.tier == strong_) strong = &ts;
    if (ts.feedback == 0) continue;
    boost::json::object e;
    e["error_rate"] = ts.error_rate();
    e["feedback"] = ts.feedback;
    e["alert"] = ts.tier == cheap_ && ts.error_rate() > 0.05 ? "red" : "ok";
    errors[ts.tier] = std::move(e);
  }
  o["error_rates_30d"] = std::move(errors);

  boost::json::array hours;
  for (const auto& h : *mix) hours.push_back(boost::json::object{{"hour_unix_ms", h.hour_unix_ms}, {"tier", h.tier}, {"requests", h.requests}});
  o["tier_mix_24h"] = std::move(hours);

  boost::json::object be;
  be["cheap"] = cheap_;
  be["strong"] = strong_;
  if (cheap && strong && cheap->requests && strong->requests && cheap->feedback && strong->feedback) {
    const double cheap_cost = static_cast<double>(cheap->cost_pico_usd) / 1e12 / static_cast<double>(cheap->requests);
    const double strong_cost = static_cast<double>(strong->cost_pico_usd) / 1e12 / static_cast<double>(strong->requests);
    const auto& all = month->total;
    const double error_cost = all.error_cost_count ? all.error_cost_sum / static_cast<double>(all.error_cost_count)
                                                   : error_cost_usd_;
    be["cheap_cost_per_request_usd"] = cheap_cost;
    be["strong_cost_per_request_usd"] = strong_cost;
    be["error_cost_usd"] = error_cost;
    if (strong_cost > cheap_cost) {
      const auto b = breakeven(BreakevenInput{cheap_cost, strong_cost, error_cost, 0, cheap->error_rate(), strong->error_rate()});
      be["requests_per_error"] = b.requests_per_error;
      be["measured_gap"] = *b.measured_gap;
      be["verdict"] = *b.upgrade ? "upgrade" : "stay";
    } else {
      be["verdict"] = "stay";
    }
  } else {
    be["verdict"] = "not enough data";
  }
  o["breakeven"] = std::move(be);
  return boost::json::serialize(o);
}

}  // namespace fulcrum
