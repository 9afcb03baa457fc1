#include "metrics/metrics.h"

#include <charconv>
#include <cstdio>

namespace fulcrum {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr const char* kTokenKinds[] = {"prompt_cache_hit", "prompt_cache_miss", "completion", "reasoning"};

// Shortest text that reads back as the same double.
std::string number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// Bucket bounds as people write them ("0.0001", not "1e-04").
std::string bound(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Label values may hold any text: escape as the exposition format says.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

template <std::size_t N>
void Metrics::Histogram<N>::observe(double seconds, const std::array<double, N>& bounds) {
  std::size_t i = 0;
  while (i < N && seconds > bounds[i]) ++i;
  counts[i].fetch_add(1, relaxed);
  sum_ns.fetch_add(static_cast<std::int64_t>(seconds * 1e9), relaxed);
}

Metrics::Metrics(const Config& config) : tiers_(std::make_unique<PerTier[]>(kMaxTiers)) {
  names_[0] = "none";
  count_.store(1);
  for (const auto& t : config.tiers) tier(t.name);  // every configured tier shows, even at 0
}

Metrics::PerTier& Metrics::tier(std::string_view name) {
  if (name.empty()) return tiers_[0];
  auto find = [&](std::size_t n) -> PerTier* {
    for (std::size_t i = 1; i < n; ++i)
      if (names_[i] == name) return &tiers_[i];
    return nullptr;
  };
  if (auto* t = find(count_.load(std::memory_order_acquire))) return *t;
  std::lock_guard lock(add_mutex_);
  const auto n = count_.load(std::memory_order_relaxed);
  if (auto* t = find(n)) return *t;
  if (n == kMaxTiers) return tiers_[0];
  names_[n] = std::string(name);
  count_.store(n + 1, std::memory_order_release);
  return tiers_[n];
}

void Metrics::on_request_done(const RequestRecord& r) {
  auto& t = tier(r.tier);
  std::size_t code = kCodes.size() - 1;
  for (std::size_t i = 0; i + 1 < kCodes.size(); ++i)
    if (kCodes[i] == r.status) code = i;
  t.by_code[code].fetch_add(1, relaxed);
  if (r.escalated) t.escalations.fetch_add(1, relaxed);
  if (r.fell_back) t.error_fallbacks.fetch_add(1, relaxed);
  t.cost_pico.fetch_add(r.cost, relaxed);
  t.tokens[0].fetch_add(r.usage.cache_hit_tokens, relaxed);
  t.tokens[1].fetch_add(r.usage.cache_miss_tokens, relaxed);
  t.tokens[2].fetch_add(r.usage.completion_tokens, relaxed);
  t.tokens[3].fetch_add(r.usage.reasoning_tokens, relaxed);
  if (r.ttfb_ms > 0) t.ttft.observe(r.ttfb_ms / 1000, kLatencyBuckets);
  t.duration.observe(r.total_ms / 1000, kLatencyBuckets);
  overhead_.observe(r.overhead_ms / 1000, kOverheadBuckets);
}

void Metrics::on_feedback(const FeedbackRecord& f) {
  auto& t = tier(f.tier);
  auto errors_micro = [](double score) { return static_cast<std::int64_t>((1 - score) * 1e6 + 0.5); };
  // A verdict that replaces an earlier one counts once: the earlier one is taken back.
  if (!f.replaced) t.feedback.fetch_add(1, relaxed);
  t.feedback_errors_micro.fetch_add(errors_micro(f.score) - (f.replaced ? errors_micro(f.replaced->score) : 0), relaxed);
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  gauges_.push_back(Gauge{std::move(name), std::move(help), "gauge", std::move(read)});
}

void Metrics::add_counter(std::string name, std::string help, std::function<double()> read) {
  gauges_.push_back(Gauge{std::move(name), std::move(help), "counter", std::move(read)});
}

std::vector<Metrics::TierTotals> Metrics::totals() const {
  std::vector<TierTotals> out;
  const auto count = count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& t = tiers_[i];
    TierTotals s;
    s.tier = names_[i];
    for (std::size_t c = 0; c < kCodes.size(); ++c) {
      const auto n = t.by_code[c].load(relaxed);
      s.requests += n;
      if (kCodes[c] == 200) s.succeeded += n;
    }
    s.escalated = t.escalations.load(relaxed);
    s.fell_back = t.error_fallbacks.load(relaxed);
    s.cost_usd = static_cast<double>(t.cost_pico.load(relaxed)) / 1e12;
    s.feedback = t.feedback.load(relaxed);
    s.feedback_errors = static_cast<double>(t.feedback_errors_micro.load(relaxed)) / 1e6;
    out.push_back(s);
  }
  return out;
}

std::string Metrics::prometheus_text() const {
  std::string out;
  out.reserve(16384);
  const auto n = count_.load(std::memory_order_acquire);
  header(out, "fulcrum_requests_total", "counter", "Requests answered, by tier and HTTP status code.");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < kCodes.size(); ++c) {
      const auto v = tiers_[i].by_code[c].load(relaxed);
      if (v == 0) continue;
      out += "fulcrum_requests_total{tier=\"" + label(names_[i]) + "\",code=\"" +
             (kCodes[c] ? std::to_string(kCodes[c]) : std::string("other")) + "\"} " + std::to_string(v) + "\n";
    }
  auto per_tier = [&](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    for (std::size_t i = 0; i < n; ++i)
      out += std::string(name) + "{tier=\"" + label(names_[i]) + "\"} " + value(tiers_[i]) + "\n";
  };
  per_tier("fulcrum_escalations_total", "counter", "Cascade requests whose cheap answer was discarded for the strong tier.",
           [](const PerTier& t) { return std::to_string(t.escalations.load(relaxed)); });
  per_tier("fulcrum_error_fallbacks_total", "counter",
           "Requests answered (or last tried) by this tier as a fallback, after the tier chosen for them failed.",
           [](const PerTier& t) { return std::to_string(t.error_fallbacks.load(relaxed)); });
  per_tier("fulcrum_cost_usd_total", "counter", "Upstream cost in USD, from the configured prices.",
           [](const PerTier& t) { return number(static_cast<double>(t.cost_pico.load(relaxed)) / 1e12); });
  header(out, "fulcrum_tokens_total", "counter", "Tokens billed, by tier and kind.");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < 4; ++k)
      out += "fulcrum_tokens_total{tier=\"" + label(names_[i]) + "\",kind=\"" + kTokenKinds[k] + "\"} " +
             std::to_string(tiers_[i].tokens[k].load(relaxed)) + "\n";
  auto histogram = [&](const std::string& name, const std::string& labels, const auto& h, const auto& bounds) {
    std::uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (std::size_t b = 0; b <= bounds.size(); ++b) {
      cumulative += h.counts[b].load(relaxed);
      out += name + "_bucket{" + labels + sep + "le=\"" + (b < bounds.size() ? bound(bounds[b]) : "+Inf") + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    const auto braces = labels.empty() ? std::string() : "{" + labels + "}";
    out += name + "_sum" + braces + " " + number(static_cast<double>(h.sum_ns.load(relaxed)) / 1e9) + "\n";
    out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
  };
  header(out, "fulcrum_time_to_first_token_seconds", "histogram", "Time until the first byte of the answer went to the client.");
  for (std::size_t i = 0; i < n; ++i)
    histogram("fulcrum_time_to_first_token_seconds", "tier=\"" + label(names_[i]) + "\"", tiers_[i].ttft, kLatencyBuckets);
  header(out, "fulcrum_request_duration_seconds", "histogram", "Total request time, upstream included.");
  for (std::size_t i = 0; i < n; ++i)
    histogram("fulcrum_request_duration_seconds", "tier=\"" + label(names_[i]) + "\"", tiers_[i].duration, kLatencyBuckets);
  header(out, "fulcrum_gateway_overhead_seconds", "histogram", "Time spent in fulcrum itself, upstream waits excluded.");
  histogram("fulcrum_gateway_overhead_seconds", "", overhead_, kOverheadBuckets);
  per_tier("fulcrum_feedback_total", "counter", "Feedback records received (POST /v1/feedback).",
           [](const PerTier& t) { return std::to_string(t.feedback.load(relaxed)); });
  per_tier("fulcrum_feedback_errors_total", "counter", "Sum of (1 - score) over feedback: wrong answers reported.",
           [](const PerTier& t) { return number(static_cast<double>(t.feedback_errors_micro.load(relaxed)) / 1e6); });
  per_tier("fulcrum_error_rate", "gauge", "Share of answers reported wrong through feedback (0 without feedback).",
           [](const PerTier& t) {
             const auto f = t.feedback.load(relaxed);
             return number(f ? static_cast<double>(t.feedback_errors_micro.load(relaxed)) / 1e6 / static_cast<double>(f) : 0.0);
           });
  const auto all = totals();
  std::uint64_t routed = 0, escalated = 0, fell_back = 0, succeeded = 0;
  double cost = 0, reported_wrong = 0;
  for (const auto& t : all) {
    if (t.tier != "none") routed += t.requests;
    escalated += t.escalated;
    fell_back += t.fell_back;
    succeeded += t.succeeded;
    cost += t.cost_usd;
    reported_wrong += t.feedback_errors;
  }
  header(out, "fulcrum_escalation_ratio", "gauge", "Escalations per routed request (the article's fallback rate; alert above 0.15).");
  out += "fulcrum_escalation_ratio " + number(routed ? static_cast<double>(escalated) / static_cast<double>(routed) : 0.0) + "\n";
  header(out, "fulcrum_error_fallback_ratio", "gauge",
         "Requests moved to a fallback tier because theirs failed, per routed request (not escalations).");
  out += "fulcrum_error_fallback_ratio " + number(routed ? static_cast<double>(fell_back) / static_cast<double>(routed) : 0.0) + "\n";
  header(out, "fulcrum_cost_per_successful_request_usd", "gauge",
         "Total cost divided by successful answers (2xx, less those reported wrong).");
  const double good = static_cast<double>(succeeded) - reported_wrong;
  out += "fulcrum_cost_per_successful_request_usd " + number(good > 0 ? cost / good : 0.0) + "\n";
  for (const auto& g : gauges_) {
    header(out, g.name.c_str(), g.type.c_str(), g.help.c_str());
    out += g.name + " " + number(g.read()) + "\n";
  }
  return out;
}

}  // namespace fulcrum
