#include "sim/report.h"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/printf.h>

namespace fulcrum {
namespace {

std::string money(double usd) {
  return fmt::sprintf(usd >= 100 ? "$%.0f" : usd >= 1 ? "$%.2f" : "$%.4f", usd);
}

std::string percent(double fraction, const char* format = "%.1f%%") { return fmt::sprintf(format, fraction * 100); }

std::string mix(const SimulationReport& r, const StrategyResult& s) {
  std::string out;
  for (std::size_t t = 0; t < s.share.size(); ++t) {
    if (s.share[t] <= 0) continue;
    if (!out.empty()) out += " ";
    out += r.tier_names[t] + " " + percent(s.share[t], "%.0f%%");
  }
  if (s.escalation_rate > 0) out += percent(s.escalation_rate, " (%.0f%% escalated)");
  return out;
}

std::string opt_ms(const std::optional<double>& v) { return v ? fmt::sprintf("%.0f ms", *v) : "n/a"; }

std::string render(const std::vector<std::vector<std::string>>& cells, bool markdown) {
  std::vector<std::size_t> width(cells.front().size(), 0);
  auto display = [](const std::string& s) {  // UTF-8 aware width
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (const auto& row : cells)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], display(row[c]));
  std::string out;
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string line = markdown ? "|" : "";
    for (std::size_t c = 0; c < cells[r].size(); ++c) {
      const auto& cell = cells[r][c];
      const std::string pad(width[c] - display(cell), ' ');
      const bool right = c > 0 && c != 3;  // numbers right-aligned; names and the tier mix left
      line += markdown ? " " : (c ? "  " : "");
      line += right ? pad + cell : cell + pad;
      if (markdown) line += " |";
    }
    while (!markdown && !line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (r == 0) {
      if (markdown) {
        out += "|";
        for (std::size_t c = 0; c < width.size(); ++c) {
          const bool right = c > 0 && c != 3;
          if (!right) out += ':';
          out.append(width[c] + 1, '-');
          if (right) out += ':';
          out += '|';
        }
        out += "\n";
      } else {
        std::size_t total = 0;
        for (auto w : width) total += w + 2;
        out.append(total - 2, '-');
        out += '\n';
      }
    }
  }
  return out;
}

}  // namespace

std::optional<double> savings_vs_strong(const SimulationReport& r, const StrategyResult& s) {
  for (const auto& base : r.strategies)
    if (base.kind == "tier" && base.share[r.strong_tier] == 1.0 && base.cost_per_request_usd > 0)
      return 1.0 - s.cost_per_request_usd / base.cost_per_request_usd;
  return std::nullopt;
}

std::string format_table(const SimulationReport& r, bool markdown) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"strategy", "daily cost", "quality", "tier mix", "p95 first token", "p95 total",
                   "savings vs all-" + r.tier_names[r.strong_tier]});
  for (const auto& s : r.strategies) {
    const auto save = savings_vs_strong(r, s);
    cells.push_back({s.name, money(s.cost_per_request_usd * r.requests_per_day), s.quality ? percent(*s.quality) : "n/a",
                     mix(r, s), opt_ms(s.p95_ttft_ms), opt_ms(s.p95_latency_ms), save ? percent(*save) : "n/a"});
  }
  std::string out;
  const std::string b = markdown ? "**" : "";
  out += "Workload: " + r.data_source + ", " + std::to_string(r.rows) + " labeled requests, replayed at " +
         fmt::sprintf("%.0f", r.requests_per_day) + " requests/day. Learned routers: " + std::to_string(r.folds) +
         "-fold held-out.\n";
  out += "Tiers: ";
  for (std::size_t t = 0; t < r.tier_names.size(); ++t)
    out += (t ? ", " : "") + r.tier_names[t] + " = " + (r.tier_models[t].empty() ? "(no outcomes)" : r.tier_models[t]);
  out += ". Prices from the config (averaged over its time windows); quality = mean score.\n";
  for (const auto& n : r.notes) out += "Note: " + n + ".\n";
  out += "\n" + render(cells, markdown);
  if (!r.policy_reasons.empty()) {
    out += "\n" + b + "configured policy, decisions by reason" + b + "\n";
    if (markdown) out += "\n";
    for (const auto& [reason, count] : r.policy_reasons)
      out.append(markdown ? "- " : "  ")
          .append(percent(static_cast<double>(count) / static_cast<double>(r.rows), "%5.1f%%  "))
          .append(reason)
          .append("\n");
  }
  return out;
}

std::string format_json(const SimulationReport& r) {
  boost::json::object o;
  o["data"] = r.data_source;
  o["rows"] = r.rows;
  o["requests_per_day"] = r.requests_per_day;
  o["folds"] = r.folds;
  boost::json::array tiers;
  for (std::size_t t = 0; t < r.tier_names.size(); ++t) {
    boost::json::object to;
    to["name"] = r.tier_names[t];
    if (!r.tier_models[t].empty()) to["outcomes_from"] = r.tier_models[t];
    tiers.push_back(std::move(to));
  }
  o["tiers"] = std::move(tiers);
  boost::json::array notes;
  for (const auto& n : r.notes) notes.push_back(boost::json::string(n));
  o["notes"] = std::move(notes);
  auto strategy = [&](const StrategyResult& s) {
    boost::json::object so;
    so["name"] = s.name;
    so["kind"] = s.kind;
    so["cost_per_request_usd"] = s.cost_per_request_usd;
    so["daily_cost_usd"] = s.cost_per_request_usd * r.requests_per_day;
    so["quality"] = s.quality ? boost::json::value(*s.quality) : boost::json::value(nullptr);
    boost::json::object share;
    for (std::size_t t = 0; t < s.share.size(); ++t) share[r.tier_names[t]] = s.share[t];
    so["share"] = std::move(share);
    so["escalation_rate"] = s.escalation_rate;
    so["p95_ttft_ms"] = s.p95_ttft_ms ? boost::json::value(*s.p95_ttft_ms) : boost::json::value(nullptr);
    so["p95_latency_ms"] = s.p95_latency_ms ? boost::json::value(*s.p95_latency_ms) : boost::json::value(nullptr);
    const auto save = savings_vs_strong(r, s);
    so["savings_vs_all_strong"] = save ? boost::json::value(*save) : boost::json::value(nullptr);
    if (s.threshold) so["threshold"] = *s.threshold;
    return so;
  };
  boost::json::array strategies, curve;
  for (const auto& s : r.strategies) strategies.push_back(strategy(s));
  for (const auto& s : r.router_curve) curve.push_back(strategy(s));
  o["strategies"] = std::move(strategies);
  o["router_curve"] = std::move(curve);
  boost::json::object reasons;
  for (const auto& [reason, count] : r.policy_reasons) reasons[reason] = count;
  o["policy_reasons"] = std::move(reasons);
  return boost::json::serialize(o) + "\n";
}

Chart cost_quality_chart(const SimulationReport& r) {
  Chart c;
  c.title = "Daily cost vs quality";
  c.subtitle = r.data_source + ", " + fmt::sprintf("%.0f", r.requests_per_day) + " requests/day, " +
               std::to_string(r.folds) + "-fold held-out";
  c.x_label = "daily cost (USD)";
  c.y_label = "quality (mean score, %)";
  c.x_format = "$%.0f";
  c.y_format = "%.0f%%";
  auto point = [&](const StrategyResult& s, bool label) {
    return ChartPoint{s.cost_per_request_usd * r.requests_per_day, *s.quality * 100, label ? s.name : ""};
  };
  ChartSeries curve{ChartSeries::Style::line, "learned router (all thresholds)", "#1f77b4", {}, false};
  for (const auto& s : r.router_curve)
    if (s.quality) curve.points.push_back(point(s, false));
  // The Pareto frontier: no other strategy is both cheaper and better.
  std::vector<ChartPoint> all;
  for (const auto& s : r.strategies)
    if (s.quality && s.kind != "oracle") all.push_back(point(s, false));
  all.insert(all.end(), curve.points.begin(), curve.points.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.x < b.x || (a.x == b.x && a.y > b.y); });
  ChartSeries frontier{ChartSeries::Style::dashed, "Pareto frontier", "#2ca02c", {}, false};
  for (const auto& p : all)
    if (frontier.points.empty() || p.y > frontier.points.back().y) frontier.points.push_back(p);
  ChartSeries points{ChartSeries::Style::markers, "", "#d62728", {}, false};
  ChartSeries oracle{ChartSeries::Style::markers, "", "#9467bd", {}, true};
  for (const auto& s : r.strategies) {
    if (!s.quality) continue;
    (s.kind == "oracle" ? oracle : points).points.push_back(point(s, true));
  }
  c.series = {curve, frontier, points, oracle};  // the frontier dashed over the curve it mostly follows
  return c;
}

}  // namespace fulcrum
