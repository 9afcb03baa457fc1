#include "web/dashboard.h"

#include <boost/json.hpp>

#include "core/money.h"
#include "sim/breakeven.h"

namespace fulcrum {
namespace {
// A request refused before routing (no key, a limit, a bad body) has no tier: it is shown as such.
std::string shown_tier(const std::string& name) { return name.empty() ? "(refused before routing)" : name; }
}  // namespace
namespace {

constexpr std::int64_t kDayMs = 86400000, kHourMs = 3600000;
constexpr std::int64_t kDaysKept = 30;
constexpr std::int64_t kSettleMs = 2000;  // follow(): how long after its stamp a written row is surely committed

}  // namespace

DashboardData::DashboardData(const Config& config, double error_cost_usd) : error_cost_usd_(error_cost_usd) {
  // Cheapest and dearest tiers by list price: the article's Flash and Pro.
  double lo = 0, hi = 0;
  for (const auto& t : config.tiers) {
    const double p = static_cast<double>(t.prices.input + t.prices.output);
    if (cheap_.empty() || p < lo) lo = p, cheap_ = t.name;
    if (strong_.empty() || p > hi) hi = p, strong_ = t.name, strong_tier_ = t;
  }
}

PicoUsd DashboardData::at_strong_prices(int utc_minute, std::int64_t prompt, std::int64_t cache_hit,
                                        std::int64_t completion) const {
  if (!strong_tier_) return 0;
  const auto& p = strong_tier_->prices_at(utc_minute);
  return cost_of_tokens(prompt - cache_hit, p.input) + cost_of_tokens(cache_hit, p.cached_input) +
         cost_of_tokens(completion, p.output);
}

Status DashboardData::seed(const LedgerLocation& ledger, std::int64_t now) {
  auto days = summarize_by_day(ledger, (now / kDayMs - kDaysKept + 1) * kDayMs);
  if (!days) return std::move(days).error();
  auto hours = tier_mix_by_hour(ledger, now - 24 * kHourMs);
  if (!hours) return std::move(hours).error();
  auto minutes = tokens_by_minute(ledger, (now / kDayMs - kDaysKept + 1) * kDayMs);
  if (!minutes) return std::move(minutes).error();
  std::lock_guard lock(mutex_);
  for (const auto& m : *minutes)
    all_strong_[m.day] += at_strong_prices(m.utc_minute, m.prompt_tokens, m.cache_hit_tokens, m.completion_tokens);
  for (const auto& d : *days) {
    auto& t = days_[d.day][d.summary.tier];
    t.tier = d.summary.tier;
    add_to(t, d.summary);
  }
  for (const auto& h : *hours) hours_[h.hour_unix_ms][h.tier] += h.requests;
  return Ok{};
}

Status DashboardData::follow(const LedgerLocation& ledger, std::int64_t now) {
  follows_ledger_ = true;
  const auto since = (now / kDayMs - kDaysKept + 1) * kDayMs;
  // Rows written up to now - kSettleMs have committed: a batch commits
  // milliseconds after its writer stamps it (a batch sent again after an
  // outage is stamped again).
  const auto to = now - kSettleMs;
  if (to <= followed_to_) return Ok{};
  auto fresh = requests_written_between(ledger, since, followed_to_, to);
  if (!fresh) return std::move(fresh).error();
  auto feedback = feedback_by_day(ledger, since);
  if (!feedback) return std::move(feedback).error();
  std::lock_guard lock(mutex_);
  followed_to_ = to;
  for (const auto& d : fresh->days) add(d.day, d.summary);
  for (const auto& h : fresh->hours) hours_[h.hour_unix_ms][h.tier] += h.requests;
  while (!hours_.empty() && hours_.begin()->first <= now - 25 * kHourMs) hours_.erase(hours_.begin());
  for (const auto& m : fresh->minutes)
    all_strong_[m.day] += at_strong_prices(m.utc_minute, m.prompt_tokens, m.cache_hit_tokens, m.completion_tokens);
  while (!all_strong_.empty() && all_strong_.begin()->first <= now / kDayMs - kDaysKept) all_strong_.erase(all_strong_.begin());
  // Feedback: the database's verdicts in place of what was shown.
  for (auto& [day, tiers] : days_)
    for (auto& [name, t] : tiers) {
      t.feedback = 0;
      t.feedback_errors = t.error_cost_sum = 0;
      t.error_cost_count = 0;
    }
  for (const auto& d : *feedback) {
    auto& t = days_[d.day][d.summary.tier];
    t.tier = d.summary.tier;
    t.feedback = d.summary.feedback;
    t.feedback_errors = d.summary.feedback_errors;
    t.error_cost_sum = d.summary.error_cost_sum;
    t.error_cost_count = d.summary.error_cost_count;
  }
  return Ok{};
}

void DashboardData::add(std::int64_t day, const TierSummary& s) {
  auto& t = days_[day][s.tier];
  t.tier = s.tier;
  add_to(t, s);
  while (!days_.empty() && days_.begin()->first <= day - kDaysKept) days_.erase(days_.begin());
}

void DashboardData::on_request_done(const RequestRecord& r) {
  if (follows_ledger_) return;
  TierSummary s;
  s.tier = r.tier;
  s.requests = 1;
  s.succeeded = r.status >= 200 && r.status < 300;
  s.failed = r.status >= 400;
  s.escalated = r.escalated;
  s.fell_back = r.fell_back;
  s.cost_pico_usd = r.cost;
  // Refused before routing: nothing was billed, nothing would have been.
  const PicoUsd all_strong =
      r.tier.empty() ? 0
                     : at_strong_prices(static_cast<int>((r.unix_ms / 60000) % 1440), r.answer_usage.prompt_tokens,
                                        r.answer_usage.cache_hit_tokens, r.answer_usage.completion_tokens);
  std::lock_guard lock(mutex_);
  add(r.unix_ms / kDayMs, s);
  all_strong_[r.unix_ms / kDayMs] += all_strong;
  while (!all_strong_.empty() && all_strong_.begin()->first <= r.unix_ms / kDayMs - kDaysKept)
    all_strong_.erase(all_strong_.begin());
  const auto hour = r.unix_ms - r.unix_ms % kHourMs;
  hours_[hour][r.tier] += 1;
  while (!hours_.empty() && hours_.begin()->first <= hour - 24 * kHourMs) hours_.erase(hours_.begin());
}

void DashboardData::on_feedback(const FeedbackRecord& f) {
  if (follows_ledger_) return;
  TierSummary s;
  s.tier = f.tier;
  s.feedback = 1;
  s.feedback_errors = 1 - f.score;
  if (f.error_cost_usd) {
    s.error_cost_sum = *f.error_cost_usd;
    s.error_cost_count = 1;
  }
  if (f.replaced) {  // the latest verdict replaces the earlier one: take that back
    s.feedback -= 1;
    s.feedback_errors -= 1 - f.replaced->score;
    if (f.replaced->error_cost_usd) {
      s.error_cost_sum -= *f.replaced->error_cost_usd;
      s.error_cost_count -= 1;
    }
  }
  std::lock_guard lock(mutex_);
  add(f.unix_ms / kDayMs, s);
}

std::string DashboardData::json(std::int64_t now) const {
  std::lock_guard lock(mutex_);
  const auto today_key = now / kDayMs;
  TierSummary total;
  std::map<std::string, TierSummary> today, month;
  for (const auto& [day, tiers] : days_) {
    if (day <= today_key - kDaysKept) continue;
    for (const auto& [name, t] : tiers) {
      month[name].tier = name;
      add_to(month[name], t);
      if (day == today_key) {
        today[name].tier = name;
        add_to(today[name], t);
        add_to(total, t);
      }
    }
  }
  boost::json::object o;
  o["generated_unix_ms"] = now;
  o["cheap_tier"] = cheap_;
  o["strong_tier"] = strong_;
  boost::json::object day;
  day["requests"] = total.requests;
  day["spend_usd"] = format_usd(total.cost_pico_usd);
  day["escalated"] = total.escalated;
  const double fallback = total.requests ? static_cast<double>(total.escalated) / static_cast<double>(total.requests) : 0.0;
  day["fallback_rate"] = fallback;
  day["fallback_alert"] = fallback > 0.15 ? "red" : fallback > 0.10 ? "amber" : "ok";
  // Not the article's fallback rate (escalations): requests moved to a fallback tier because theirs failed.
  day["fell_back"] = total.fell_back;
  day["error_fallback_rate"] =
      total.requests ? static_cast<double>(total.fell_back) / static_cast<double>(total.requests) : 0.0;
  const double good = static_cast<double>(total.succeeded) - total.feedback_errors;
  if (good > 0) day["cost_per_success_usd"] = static_cast<double>(total.cost_pico_usd) / 1e12 / good;
  else day["cost_per_success_usd"] = nullptr;
  // What routing saved: the same tokens on the dearest tier, minus what was spent.
  const auto all_strong = all_strong_.find(today_key);
  const PicoUsd all_strong_pico = all_strong == all_strong_.end() ? 0 : all_strong->second;
  day["all_strong_usd"] = format_usd(all_strong_pico);
  day["saved_usd"] = format_usd(all_strong_pico - total.cost_pico_usd);
  if (all_strong_pico > 0)
    day["saved_share"] = 1 - static_cast<double>(total.cost_pico_usd) / static_cast<double>(all_strong_pico);
  else
    day["saved_share"] = nullptr;
  o["today"] = std::move(day);

  boost::json::array tiers;
  for (const auto& [name, t] : today) {
    if (t.requests == 0) continue;
    boost::json::object x;
    x["tier"] = shown_tier(name);
    x["requests"] = t.requests;
    x["spend_usd"] = format_usd(t.cost_pico_usd);
    x["share"] = static_cast<double>(t.requests) / static_cast<double>(total.requests);
    tiers.push_back(std::move(x));
  }
  o["tiers_today"] = std::move(tiers);

  boost::json::object errors;
  for (const auto& [name, t] : month) {
    if (t.feedback == 0) continue;
    boost::json::object e;
    e["error_rate"] = t.error_rate();
    e["feedback"] = t.feedback;
    e["alert"] = name == cheap_ && t.error_rate() > 0.05 ? "red" : "ok";
    errors[name] = std::move(e);
  }
  o["error_rates_30d"] = std::move(errors);

  boost::json::array hours;
  for (const auto& [hour, by_tier] : hours_) {
    if (hour <= now - 24 * kHourMs) continue;
    for (const auto& [name, n] : by_tier)
      hours.push_back(boost::json::object{{"hour_unix_ms", hour}, {"tier", shown_tier(name)}, {"requests", n}});
  }
  o["tier_mix_24h"] = std::move(hours);

  boost::json::object be;
  be["cheap"] = cheap_;
  be["strong"] = strong_;
  const auto cheap = month.find(cheap_), strong = month.find(strong_);
  if (cheap != month.end() && strong != month.end() && cheap->second.requests && strong->second.requests &&
      cheap->second.feedback && strong->second.feedback) {
    const auto& c = cheap->second;
    const auto& s = strong->second;
    const double cheap_cost = static_cast<double>(c.cost_pico_usd) / 1e12 / static_cast<double>(c.requests);
    const double strong_cost = static_cast<double>(s.cost_pico_usd) / 1e12 / static_cast<double>(s.requests);
    double cost_sum = 0;
    std::int64_t cost_count = 0;
    for (const auto& [name, t] : month) cost_sum += t.error_cost_sum, cost_count += t.error_cost_count;
    const double error_cost = cost_count ? cost_sum / static_cast<double>(cost_count) : error_cost_usd_;
    be["cheap_cost_per_request_usd"] = cheap_cost;
    be["strong_cost_per_request_usd"] = strong_cost;
    be["error_cost_usd"] = error_cost;
    if (strong_cost > cheap_cost) {
      const auto b = breakeven(BreakevenInput{cheap_cost, strong_cost, error_cost, 0, c.error_rate(), s.error_rate()});
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
