#include "app/decision_commands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/printf.h>

#include "app/config_edit.h"
#include "config/load.h"
#include "core/clock.h"
#include "learn/cross_validation.h"
#include "ledger/ledger_reader.h"
#include "report/svg_chart.h"
#include "sim/breakeven.h"
#include "sim/calibrate.h"
#include "sim/policy_replay.h"
#include "sim/recommend.h"
#include "sim/report.h"
#include "sim/simulate.h"
#include "sim/workload.h"

namespace fulcrum {
namespace {

int fail(const std::string& message, int code = 1) {
  std::cerr << "fulcrum: " << message << '\n';
  return code;
}

// "2000:500" -> sizes; nullopt (with a message) when malformed.
std::optional<TokenSizes> parse_tokens(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    std::size_t a = 0, b = 0;
    const long long in = std::stoll(text.substr(0, colon), &a);
    const long long out = std::stoll(text.substr(colon + 1), &b);
    if (a != colon || b != text.size() - colon - 1 || in < 0 || out < 0) return std::nullopt;
    return TokenSizes{in, out};
  } catch (...) {
    return std::nullopt;
  }
}

ConfigPtr load_config_or_print(const std::string& path) {
  auto loaded = load_config_file(path);
  if (!loaded.config)
    for (const auto& e : loaded.errors) std::cerr << e << '\n';
  return loaded.config;
}

// Config, labeled data, the workload built from both, and held-out scores.
struct Prepared {
  ConfigPtr config;
  LabeledData labeled;
  Workload workload;
  HeldOut held_out;
};

std::optional<Prepared> prepare(const WorkloadCommand& cmd) {
  if (cmd.folds < 2) {
    fail("--folds must be at least 2");
    return std::nullopt;
  }
  auto config = load_config_or_print(cmd.config_path);
  if (!config) return std::nullopt;
  auto labeled = load_labeled(cmd);
  if (!labeled) return std::nullopt;
  WorkloadOptions options;
  for (const auto& o : cmd.outcomes) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == o.size()) {
      fail("--outcome expects TIER=MODEL, got \"" + o + "\"");
      return std::nullopt;
    }
    options.outcomes.emplace_back(o.substr(0, eq), o.substr(eq + 1));
  }
  if (!cmd.tokens.empty()) {
    options.tokens = parse_tokens(cmd.tokens);
    if (!options.tokens) {
      fail("--tokens expects IN:OUT (two non-negative integers), got \"" + cmd.tokens + "\"");
      return std::nullopt;
    }
  } else if (cmd.tokens_override) {
    fail("--tokens-only needs --tokens IN:OUT");
    return std::nullopt;
  }
  options.tokens_override = cmd.tokens_override;
  options.cache_hit_rate = cmd.cache_hit_rate;
  auto workload = build_workload(labeled->data, labeled->pair, *config, options);
  if (!workload) {
    fail(workload.error().message);
    return std::nullopt;
  }
  auto held_out = cross_validate(labeled->data.rows, labeled->pair, train_options(cmd), cmd.folds, cmd.seed);
  // `workload` points into the rows of `labeled`; moving the vector keeps them in place.
  return Prepared{std::move(config), std::move(*labeled), std::move(workload.value()), std::move(held_out)};
}

std::vector<double> gains(const HeldOut& h) {
  std::vector<double> out;
  out.reserve(h.predicted.size());
  for (const auto& p : h.predicted) out.push_back(p.gain);
  return out;
}

// The config's cascade plan, or the article's: first token, threshold -0.5.
CascadePlan cascade_plan(const Config& config, const Workload& w) {
  for (const auto& p : config.router.policies)
    if (p.type == PolicyConfig::Type::cascade) return p.cascade;
  CascadePlan plan;
  plan.cheap = w.weak_tier;
  plan.strong = w.strong_tier;
  return plan;
}

// 21186 -> "21,186".
std::string with_commas(double v) {
  auto digits = std::to_string(static_cast<long long>(std::llround(v)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int run_simulate(const SimulateCommand& cmd) {
  if (cmd.requests_per_day <= 0) return fail("--requests-per-day must be more than 0", 2);
  if (cmd.format != "table" && cmd.format != "markdown" && cmd.format != "json")
    return fail("--format must be table, markdown or json", 2);
  auto prepared = prepare(cmd);
  if (!prepared) return 1;
  auto& [config, labeled, w, held_out] = *prepared;

  SimulationReport report;
  report.data_source = cmd.data_paths.size() == 1 ? cmd.data_paths.front() : std::to_string(cmd.data_paths.size()) + " files";
  report.rows = w.rows.size();
  report.requests_per_day = cmd.requests_per_day;
  report.folds = cmd.folds;
  report.strong_tier = w.strong_tier;
  report.notes = w.notes;
  for (const auto& t : w.tiers) {
    report.tier_names.push_back(t.name);
    report.tier_models.push_back(t.model);
  }
  auto add = [&](std::string name, std::string kind, const std::vector<Route>& routes) -> StrategyResult& {
    report.strategies.push_back(evaluate_routes(w, std::move(name), std::move(kind), routes, cmd.seed));
    return report.strategies.back();
  };
  for (std::size_t t = 0; t < w.tiers.size(); ++t) add("all " + w.tiers[t].name, "tier", routes_all(w, t));

  auto replay = replay_policy(w, config, config->router.model_path.empty() ? std::vector<OutcomeModel>{} : held_out.models,
                              held_out.fold);
  if (!replay) return fail("configured policy: " + replay.error().message);
  add("configured policy", "policy", replay->routes);
  report.policy_reasons = replay->reasons;
  if (!config->router.model_path.empty()) {
    // The held-out replay above answers "a model like router.model, never
    // scored on its own training rows"; the operator deploying this config on
    // traffic the model never saw also needs what the file itself does. Its
    // thresholds were set for its own scores, which a model retrained on this
    // data need not share.
    auto as_is = replay_policy(w, config, {}, {});
    if (!as_is) return fail("configured policy: " + as_is.error().message);
    add("configured policy, router.model as is", "policy", as_is->routes);
    report.notes.push_back(
        "configured policy: each row is scored by a model trained on this data's other folds, with the config's "
        "thresholds; \"router.model as is\" scores it with the configured file, which is in-sample for any row that "
        "file was trained on");
  }

  const auto scores = gains(held_out);
  for (double percent : cmd.operating_points) {
    CalibrationTarget target{CalibrationTarget::Kind::strong_share, percent / 100, 0};
    auto cut = calibrate_threshold(w, scores, w.weak_tier, w.strong_tier, target);
    if (!cut) return fail(cut.error().message);
    add("learned threshold, " + fmt::sprintf("%.0f", percent) + "% " + w.tiers[w.strong_tier].name, "threshold",
        routes_threshold(w, scores, cut->threshold))
        .threshold = cut->threshold;
  }
  add("split " + fmt::sprintf("%.0f", 100 - cmd.split_strong_percent) + "/" + fmt::sprintf("%.0f", cmd.split_strong_percent), "split",
      routes_split(w, cmd.split_strong_percent));
  const auto plan = cascade_plan(*config, w);
  const double coverage = logprob_coverage(w, plan.cheap);
  if (coverage > 0) {
    add("cascade (" + w.tiers[plan.cheap].name + " logprob < " + fmt::sprintf("%g", plan.threshold) + ")", "cascade",
        routes_cascade(w, plan));
    if (coverage < 1)
      report.notes.push_back("the cascade: " + fmt::sprintf("%.1f", (1 - coverage) * 100) + "% of rows carry no logprobs for " +
                             w.tiers[plan.cheap].model + "; they " +
                             (plan.escalate_on_missing ? "escalate" : "stay on " + w.tiers[plan.cheap].name) +
                             " (on_missing)");
  } else {
    report.notes.push_back("no cascade: the data carries no logprobs for " + w.tiers[plan.cheap].model);
  }
  add("oracle (ceiling)", "oracle", routes_oracle(w));

  for (int percent = 0; percent <= 100; percent += 5) {
    auto cut = calibrate_threshold(w, scores, w.weak_tier, w.strong_tier,
                                   CalibrationTarget{CalibrationTarget::Kind::strong_share, percent / 100.0, 0});
    if (!cut) return fail(cut.error().message);
    report.router_curve.push_back(evaluate_routes(w, "learned threshold " + std::to_string(percent) + "%", "threshold",
                                                  routes_threshold(w, scores, cut->threshold), cmd.seed));
    report.router_curve.back().threshold = cut->threshold;
  }

  if (cmd.format == "json") std::cout << format_json(report);
  else std::cout << format_table(report, cmd.format == "markdown");
  if (!cmd.svg_path.empty()) {
    if (!write_file(cmd.svg_path, render_svg(cost_quality_chart(report))))
      return fail(cmd.svg_path + ": cannot write the chart");
    if (cmd.format != "json") std::cout << "\nchart written to " << cmd.svg_path << '\n';
  }
  return 0;
}

int run_calibrate(const CalibrateCommand& cmd) {
  const int targets = cmd.strong_share.has_value() + cmd.quality_fraction.has_value() + cmd.daily_budget_usd.has_value();
  if (targets != 1) return fail("give exactly one target: --strong-share, --quality or --daily-budget", 2);
  if (cmd.daily_budget_usd && cmd.requests_per_day <= 0) return fail("--daily-budget needs --requests-per-day", 2);
  auto prepared = prepare(cmd);
  if (!prepared) return 1;
  auto& [config, labeled, w, held_out] = *prepared;

  // The threshold policy to calibrate: its tiers and whether it reads the
  // score or the complexity.
  const PolicyConfig* policy = nullptr;
  int policy_index = cmd.policy;
  if (cmd.policy >= 0) {
    if (static_cast<std::size_t>(cmd.policy) >= config->router.policies.size() ||
        config->router.policies[cmd.policy].type != PolicyConfig::Type::threshold)
      return fail("--policy " + std::to_string(cmd.policy) + ": router.policies[" + std::to_string(cmd.policy) +
                  "] is not a threshold policy", 2);
    policy = &config->router.policies[cmd.policy];
  } else {
    for (std::size_t i = 0; i < config->router.policies.size() && !policy; ++i)
      if (config->router.policies[i].type == PolicyConfig::Type::threshold) {
        policy = &config->router.policies[i];
        policy_index = static_cast<int>(i);
      }
  }
  if (cmd.write && !policy) return fail("--write: the config has no threshold policy to write the value into", 2);
  if (policy && (cmd.level < 0 || static_cast<std::size_t>(cmd.level) >= policy->levels.size()))
    return fail("--level " + std::to_string(cmd.level) + ": " + policy->yaml_path + " has " +
                std::to_string(policy->levels.size()) + " level(s)", 2);
  std::size_t low = w.weak_tier, high = w.strong_tier;
  bool on_complexity = false;
  if (policy) {
    low = cmd.level == 0 ? policy->below_tier : policy->levels[cmd.level - 1].second;
    high = policy->levels[cmd.level].second;
    on_complexity = policy->threshold_on_complexity;
  }
  std::vector<double> values;
  for (const auto& p : held_out.predicted) values.push_back(on_complexity ? 10 * (1 - p.weak) : p.gain);

  CalibrationTarget target;
  if (cmd.strong_share) target = {CalibrationTarget::Kind::strong_share, *cmd.strong_share, 0};
  if (cmd.quality_fraction) target = {CalibrationTarget::Kind::quality_fraction, *cmd.quality_fraction, 0};
  if (cmd.daily_budget_usd) target = {CalibrationTarget::Kind::daily_budget, *cmd.daily_budget_usd, cmd.requests_per_day};
  auto cut = calibrate_threshold(w, values, low, high, target);
  if (!cut) return fail(cut.error().message);

  const auto picked = evaluate_routes(w, "calibrated", "threshold", routes_threshold(w, values, cut->threshold, low, high), cmd.seed);
  const auto all_high = evaluate_routes(w, "all", "tier", routes_all(w, high), cmd.seed);
  const auto all_low = evaluate_routes(w, "all", "tier", routes_all(w, low), cmd.seed);
  const char* feature = on_complexity ? "complexity" : "score";
  std::printf("threshold: %s >= %.9g -> %s, else %s\n", feature, cut->threshold, w.tiers[high].name.c_str(),
              w.tiers[low].name.c_str());
  std::printf("expected on %zu held-out rows (%d folds):\n", w.rows.size(), cmd.folds);
  std::printf("  %s share      %.1f%%\n", w.tiers[high].name.c_str(), picked.share[high] * 100);
  std::printf("  quality         %.2f%% (%.1f%% of all-%s %.2f%%; all-%s %.2f%%)\n", *picked.quality * 100,
              *picked.quality / *all_high.quality * 100, w.tiers[high].name.c_str(), *all_high.quality * 100,
              w.tiers[low].name.c_str(), *all_low.quality * 100);
  if (cmd.requests_per_day > 0)
    std::printf("  daily cost      $%.2f at %.0f requests/day (all-%s $%.2f, all-%s $%.2f)\n",
                picked.cost_per_request_usd * cmd.requests_per_day, cmd.requests_per_day, w.tiers[high].name.c_str(),
                all_high.cost_per_request_usd * cmd.requests_per_day, w.tiers[low].name.c_str(),
                all_low.cost_per_request_usd * cmd.requests_per_day);
  std::printf("  cost/1K req.    $%.4f (saves %.1f%% vs all-%s)\n", picked.cost_per_request_usd * 1000,
              (1 - picked.cost_per_request_usd / all_high.cost_per_request_usd) * 100, w.tiers[high].name.c_str());
  if (picked.p95_ttft_ms) std::printf("  p95 first token %.0f ms\n", *picked.p95_ttft_ms);
  std::printf("The threshold holds for router.model trained on this data with the same options "
              "(fulcrum train --seed %llu --hash-bits %d).\n",
              static_cast<unsigned long long>(cmd.seed), cmd.hash_bits);
  for (const auto& note : w.notes) std::printf("Note: %s.\n", note.c_str());
  if (!policy) {
    std::printf("\nNo threshold policy in %s; to use it, add under router.policies:\n"
                "  - type: threshold\n    below: %s\n    levels: [{at: %.9g, tier: %s}]\n",
                cmd.config_path.c_str(), w.tiers[low].name.c_str(), cut->threshold, w.tiers[high].name.c_str());
    return 0;
  }
  if (cmd.write) {
    auto st = write_threshold_level(cmd.config_path, static_cast<std::size_t>(policy_index),
                                    static_cast<std::size_t>(cmd.level), cut->threshold);
    if (!st) return fail(st.error().message);
    std::printf("written to %s: %s.levels[%d].at = %.9g\n", cmd.config_path.c_str(), policy->yaml_path.c_str(),
                cmd.level, cut->threshold);
  }
  return 0;
}

int run_breakeven(const BreakevenCommand& cmd) {
  if (cmd.error_costs_usd.empty()) return fail("give at least one --error-cost", 2);
  for (double e : cmd.error_costs_usd)
    if (!(e > 0)) return fail("--error-cost must be more than 0", 2);
  double cheap = 0, strong = 0;
  std::string cheap_name = cmd.cheap_tier.empty() ? "cheap tier" : cmd.cheap_tier;
  std::string strong_name = cmd.strong_tier.empty() ? "strong tier" : cmd.strong_tier;
  std::optional<LedgerSummary> ledger;
  std::optional<double> cheap_error = cmd.cheap_error_rate, strong_error = cmd.strong_error_rate;
  if (!cmd.ledger_path.empty()) {
    if (cmd.cheap_tier.empty() || cmd.strong_tier.empty()) return fail("--ledger needs --cheap TIER and --strong TIER", 2);
    auto since = parse_since(cmd.since, unix_ms_now());
    if (!since) return fail(since.error().message, 2);
    auto summary = summarize_ledger(cmd.ledger_path, *since);
    if (!summary) return fail(summary.error().message);
    ledger = std::move(summary.value());
  }
  auto tier_in_ledger = [&](const std::string& name) -> const TierSummary* {
    for (const auto& t : ledger->tiers)
      if (t.tier == name) return &t;
    return nullptr;
  };
  if (cmd.cheap_cost_usd || cmd.strong_cost_usd) {
    if (!cmd.cheap_cost_usd || !cmd.strong_cost_usd) return fail("give both --cheap-cost and --strong-cost", 2);
    cheap = *cmd.cheap_cost_usd;
    strong = *cmd.strong_cost_usd;
  } else if (!cmd.config_path.empty() && !cmd.tokens.empty()) {
    auto sizes = parse_tokens(cmd.tokens);
    if (!sizes) return fail("--tokens expects IN:OUT (two non-negative integers), got \"" + cmd.tokens + "\"", 2);
    auto config = load_config_or_print(cmd.config_path);
    if (!config) return 1;
    // The same costing as simulate: one labeled row of the given size.
    Dataset one;
    LabeledPrompt row;
    row.id = "breakeven";
    row.scores = {{"cheap", 0.0}, {"strong", 1.0}};
    one.rows.push_back(std::move(row));
    one.models = {"cheap", "strong"};
    WorkloadOptions options;
    options.tokens = sizes;
    options.tokens_override = true;
    if (!cmd.cheap_tier.empty()) options.outcomes.emplace_back(cmd.cheap_tier, "cheap");
    if (!cmd.strong_tier.empty()) options.outcomes.emplace_back(cmd.strong_tier, "strong");
    auto w = build_workload(one, ModelPair{"cheap", "strong"}, *config, options);
    if (!w) return fail(w.error().message);
    cheap = w->cost_usd(0, w->weak_tier);
    strong = w->cost_usd(0, w->strong_tier);
    cheap_name = w->tiers[w->weak_tier].name;
    strong_name = w->tiers[w->strong_tier].name;
  } else if (ledger) {
    // Mean cost per request of each tier, as the ledger recorded it.
    for (auto [name, dst] : {std::pair{&cheap_name, &cheap}, std::pair{&strong_name, &strong}}) {
      const auto* t = tier_in_ledger(*name);
      if (!t || t->requests == 0) return fail("the ledger has no requests on tier " + *name + " since " + cmd.since);
      *dst = static_cast<double>(t->cost_pico_usd) / 1e12 / static_cast<double>(t->requests);
    }
  } else {
    return fail("give --cheap-cost and --strong-cost, --config with --tokens IN:OUT, or --ledger", 2);
  }
  if (ledger && !cheap_error) {
    for (auto [name, dst] : {std::pair{&cheap_name, &cheap_error}, std::pair{&strong_name, &strong_error}}) {
      const auto* t = tier_in_ledger(*name);
      if (!t || t->feedback == 0)
        return fail("the ledger has no feedback on tier " + *name + " since " + cmd.since +
                    ": send outcomes to POST /v1/feedback, or give --cheap-error-rate and --strong-error-rate");
      *dst = t->error_rate();
      std::printf("measured in %s: %s error rate %.2f%% from %lld feedback records\n", LedgerLocation(cmd.ledger_path).display().c_str(),
                  name->c_str(), t->error_rate() * 100, static_cast<long long>(t->feedback));
    }
  }
  if (!(strong > cheap)) return fail("the strong tier must cost more per request than the cheap tier", 2);
  if (cheap_error.has_value() != strong_error.has_value())
    return fail("give both --cheap-error-rate and --strong-error-rate", 2);
  std::printf("per request: %s $%s, %s $%s, difference $%s\n", cheap_name.c_str(), format_dollars(cheap).c_str(),
              strong_name.c_str(), format_dollars(strong).c_str(), format_dollars(strong - cheap).c_str());
  for (double e : cmd.error_costs_usd) {
    const auto b = breakeven(BreakevenInput{cheap, strong, e, cmd.requests_per_day, cheap_error, strong_error});
    std::printf("error cost $%s: %s pays off when %s makes one more wrong answer than %s in every %s requests or "
                "fewer (an error-rate gap above %.4f%%)",
                format_dollars(e).c_str(), strong_name.c_str(), cheap_name.c_str(), strong_name.c_str(), with_commas(b.requests_per_error).c_str(),
                b.error_rate_gap * 100);
    if (b.errors_per_day) std::printf("; at %.0f requests/day, %.1f extra errors a day", cmd.requests_per_day, *b.errors_per_day);
    std::printf("\n");
    if (b.upgrade)
      std::printf("  measured: %s errs %.2f%% more often than %s, which costs $%s per request against $%s more for "
                  "%s: %s\n",
                  cheap_name.c_str(), *b.measured_gap * 100, strong_name.c_str(),
                  format_dollars(*b.error_cost_per_request_usd).c_str(), format_dollars(b.cost_difference_usd).c_str(),
                  strong_name.c_str(),
                  *b.upgrade ? ("upgrade to " + strong_name).c_str() : ("stay on " + cheap_name).c_str());
  }
  return 0;
}

int run_recommend(const RecommendCommand& cmd) {
  auto prepared = prepare(cmd);
  if (!prepared) return 1;
  auto& [config, labeled, w, held_out] = *prepared;
  const auto& rows = labeled.data.rows;
  RecommendInput in;
  in.cheap = w.tiers[w.weak_tier].name;
  in.strong = w.tiers[w.strong_tier].name;
  // A request is complex when the strong tier would answer it better: the
  // share is the mean predicted gain, clipped at 0 (a prompt both tiers fail
  // or both pass needs no escalation).
  double gain_sum = 0;
  for (const auto& p : held_out.predicted) gain_sum += std::clamp(p.gain, 0.0, 1.0);
  in.complex_share = gain_sum / static_cast<double>(rows.size());
  std::size_t strong_better = 0;
  for (const auto& r : rows) strong_better += r.scores.at(labeled.pair.strong) > r.scores.at(labeled.pair.weak);
  in.measured_complex_share = static_cast<double>(strong_better) / static_cast<double>(rows.size());
  // Error = 1 - score, so graded scores count as partial errors.
  double weak_err = 0, strong_err = 0;
  for (const auto& r : rows) {
    weak_err += 1 - r.scores.at(labeled.pair.weak);
    strong_err += 1 - r.scores.at(labeled.pair.strong);
  }
  in.cheap_error_rate = weak_err / static_cast<double>(rows.size());
  in.strong_error_rate = strong_err / static_cast<double>(rows.size());
  const auto all_cheap = evaluate_routes(w, "all", "tier", routes_all(w, w.weak_tier), cmd.seed);
  const auto all_strong = evaluate_routes(w, "all", "tier", routes_all(w, w.strong_tier), cmd.seed);
  in.latency_budget_ms = cmd.latency_budget_ms;
  in.cheap_p95_ttft_ms = all_cheap.p95_ttft_ms;
  in.strong_p95_ttft_ms = all_strong.p95_ttft_ms;
  in.daily_budget_usd = cmd.daily_budget_usd;
  if (cmd.requests_per_day > 0) in.all_strong_daily_usd = all_strong.cost_per_request_usd * cmd.requests_per_day;
  if (cmd.daily_budget_usd && cmd.requests_per_day <= 0) return fail("--daily-budget needs --requests-per-day", 2);

  auto rec = recommend(in);
  // The strategy it names, measured on the workload.
  const auto scores = gains(held_out);
  auto evaluate_share = [&](double share) {
    auto cut = calibrate_threshold(w, scores, w.weak_tier, w.strong_tier,
                                   CalibrationTarget{CalibrationTarget::Kind::strong_share, share, 0});
    auto r = evaluate_routes(w, "recommended", "threshold", routes_threshold(w, scores, cut->threshold), cmd.seed);
    r.threshold = cut->threshold;
    return r;
  };
  auto result = evaluate_share(rec.strong_share);
  auto threshold = result.threshold;
  if (cmd.daily_budget_usd && result.cost_per_request_usd * cmd.requests_per_day > *cmd.daily_budget_usd) {
    auto cut = calibrate_threshold(w, scores, w.weak_tier, w.strong_tier,
                                   CalibrationTarget{CalibrationTarget::Kind::daily_budget, *cmd.daily_budget_usd,
                                                     cmd.requests_per_day});
    if (!cut) {
      rec.reasons.push_back(cut.error().message);
    } else {
      rec.reasons.push_back("that costs $" + fmt::sprintf("%.2f", result.cost_per_request_usd * cmd.requests_per_day) +
                            " a day, over the budget: the learned threshold that fits sends " +
                            fmt::sprintf("%.1f", static_cast<double>(cut->high_rows) / static_cast<double>(rows.size()) * 100) +
                            "% to " + in.strong);
      rec.kind = Recommendation::Kind::hybrid_threshold;
      rec.recommendation += "; within the budget: a learned threshold at " + fmt::sprintf("%.4g", cut->threshold);
      result = evaluate_routes(w, "recommended", "threshold", routes_threshold(w, scores, cut->threshold), cmd.seed);
      threshold = cut->threshold;
    }
  }
  std::printf("situation:      %s\nrecommendation: %s\nbecause:\n", rec.situation.c_str(), rec.recommendation.c_str());
  for (const auto& r : rec.reasons) std::printf("  - %s\n", r.c_str());
  if (result.share[w.strong_tier] > 0 && result.share[w.strong_tier] < 1)
    std::printf("learned threshold: score >= %.6g -> %s (calibrate it: fulcrum calibrate --strong-share %.2f)\n",
                *threshold, in.strong.c_str(), result.share[w.strong_tier]);
  std::printf("expected on this workload (held-out): %s share %.1f%%, quality %.2f%% (all-%s %.2f%%, all-%s %.2f%%)",
              in.strong.c_str(), result.share[w.strong_tier] * 100, *result.quality * 100, in.cheap.c_str(),
              *all_cheap.quality * 100, in.strong.c_str(), *all_strong.quality * 100);
  if (cmd.requests_per_day > 0)
    std::printf(", $%.2f a day (all-%s $%.2f)", result.cost_per_request_usd * cmd.requests_per_day, in.strong.c_str(),
                all_strong.cost_per_request_usd * cmd.requests_per_day);
  std::printf("\n");
  return 0;
}

}  // namespace fulcrum
