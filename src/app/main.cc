// fulcrum: an LLM routing gateway. Composition root: subcommands are wired here.
#include <CLI/CLI.hpp>

#include "app/decision_commands.h"
#include "app/learn_commands.h"
#include "app/ledger_command.h"
#include "app/route_command.h"
#include "app/serve.h"
#include "state/admission.h"

#include <iostream>
#include <string>

#if FULCRUM_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace {

// The version line names the allocator, so a deployment can check which one
// its binary got (see src/CMakeLists.txt).
std::string version_line() {
  std::string line = "fulcrum 0.1.0";
#if FULCRUM_WITH_MIMALLOC
  const int v = mi_version();
  line += " (allocator: mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
          std::to_string(v % 10) + ")";
#else
  line += " (allocator: the C library's)";
#endif
  return line;
}

// The routing score's blend, for tuning it (bench/RESULTS.md); unset: the shipped values.
void add_blend_options(CLI::App* cmd, fulcrum::LearnOptions& o) {
  cmd->add_option("--shape-weight", o.shape_weight, "the shape model's weight in the routing score")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--hardness-weight", o.hardness_weight, "P(weak tier fails)'s weight in the routing score")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--familiarity-floor", o.familiarity_floor,
                  "the lexical part's least weight on a prompt unlike the training data (1: not scaled)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--kind-weight", o.kind_weight,
                  "the task kind's weight in the routing score on a prompt unlike the training data (0: not read)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--set-aside-z", o.set_aside_z,
                  "set aside categories whose mean gain + Z standard errors is below zero (0: keep every category)")
      ->check(CLI::Range(0.0, 100.0));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fulcrum: a fast, self-hosted LLM routing gateway"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_line());
  app.option_defaults()->always_capture_default();  // --help shows each option's default

  fulcrum::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "run the gateway");
  serve_cmd->add_option("-c,--config", serve.config_path, "YAML config file")->required();
  serve_cmd->add_option("--listen", serve.listen_override, "HOST:PORT, overrides the config's listen");
  serve_cmd->add_option("--threads", serve.threads_override, "worker threads, overrides the config (0: one per core)");

  std::string validate_path;
  auto* validate_cmd = app.add_subcommand("validate", "check a config file and print every error");
  validate_cmd->add_option("-c,--config", validate_path, "YAML config file")->required();

  fulcrum::TrainCommand train;
  auto* train_cmd = app.add_subcommand("train", "train the learned router from labeled outcomes (JSONL)");
  train_cmd->add_option("--data", train.data_paths, "labeled JSONL (format of shared/data/routellm); several are concatenated");
  train_cmd->add_option("--ledger", train.ledger_path, "also learn from this ledger's judged requests (ledger.capture: prompts + feedback)");
  train_cmd->add_option("--weak-tier", train.weak_tier, "the ledger's cheap tier");
  train_cmd->add_option("--strong-tier", train.strong_tier, "the ledger's strong tier");
  train_cmd->add_option("--out", train.out_path, "model file to write")->required();
  train_cmd->add_option("--weak", train.weak, "weak model name in the data (default: lower mean score)");
  train_cmd->add_option("--strong", train.strong, "strong model name in the data (default: higher mean score)");
  train_cmd->add_option("--seed", train.seed, "random seed");
  train_cmd->add_flag("--keep-contaminated", train.keep_contaminated, "keep rows marked contaminated");
  train.hash_bits = 18;  // shipped models: 3 x 256 KiB
  train_cmd->add_option("--hash-bits", train.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));
  add_blend_options(train_cmd, train);

  fulcrum::TrainDomainsCommand train_domains;
  train_domains.hash_bits = 16;
  auto* domains_cmd = app.add_subcommand("train-domains", "train the domain classifier from MMLU subjects (k-fold accuracy, then a model)");
  domains_cmd->add_option("--data", train_domains.data_paths, "labeled JSONL with `category`")->required();
  domains_cmd->add_option("--out", train_domains.out_path, "model file to write")->required();
  domains_cmd->add_option("--folds", train_domains.folds, "folds for the accuracy estimate")->check(CLI::Range(2, 100));
  domains_cmd->add_option("--seed", train_domains.seed, "random seed");
  domains_cmd->add_option("--hash-bits", train_domains.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));

  fulcrum::EvalCommand eval;
  auto* eval_cmd = app.add_subcommand("eval", "the learned router's APGR, CPT and calibration as RouteLLM computes them: k-fold held-out, trained on one set and scored on another, or on the ledger's judged requests");
  eval_cmd->add_option("--data", eval.data_paths, "labeled JSONL for k-fold held-out; several are concatenated");
  eval_cmd->add_option("--train", eval.train_paths, "labeled JSONL to train on (with --test); several are concatenated");
  eval_cmd->add_option("--test", eval.test_paths, "labeled JSONL to score a model trained on --train");
  eval_cmd->add_option("--ledger", eval.ledger_path, "what a model would have done with this ledger's judged requests (k-fold)");
  eval_cmd->add_option("--weak-tier", eval.weak_tier, "the ledger's cheap tier");
  eval_cmd->add_option("--strong-tier", eval.strong_tier, "the ledger's strong tier");
  eval_cmd->add_option("--folds", eval.folds, "number of folds")->check(CLI::Range(2, 100));
  eval_cmd->add_option("--seed", eval.seed, "seed for folds, training and the random baseline");
  eval_cmd->add_option("--weak", eval.weak, "weak model name in the data");
  eval_cmd->add_option("--strong", eval.strong, "strong model name in the data");
  eval_cmd->add_option("--test-weak", eval.test_weak,
                       "weak model name in the --test data (default: --weak's when it is there, else the lower mean score)");
  eval_cmd->add_option("--test-strong", eval.test_strong,
                       "strong model name in the --test data (default: --strong's when it is there, else the higher mean score)");
  eval_cmd->add_option("--dump-scores", eval.dump_scores_path, "write each prompt's id and held-out score as JSONL");
  eval_cmd->add_option("--svg", eval.svg_path, "write the quality vs % strong calls chart (SVG) here");
  eval_cmd->add_option("--reliability-svg", eval.reliability_svg_path,
                       "write the reliability diagram of both tiers' probabilities (SVG) here");
  eval_cmd->add_flag("--keep-contaminated", eval.keep_contaminated, "keep rows marked contaminated");
  eval_cmd->add_option("--hash-bits", eval.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));
  add_blend_options(eval_cmd, eval);

  fulcrum::RouteCommand route;
  auto* route_cmd = app.add_subcommand("route", "print the routing decision for a request body (or prompt) on stdin");
  route_cmd->add_option("-c,--config", route.config_path, "YAML config file")->required();
  route_cmd->add_flag("--explain", route.explain, "also print every feature the router saw");
  route_cmd->add_option("-H,--header", route.headers, "a request header, \"name: value\" (repeatable)");

  // The options every workload command (simulate, calibrate, recommend) takes.
  auto workload_options = [](CLI::App* c, fulcrum::WorkloadCommand& w) {
    c->add_option("-c,--config", w.config_path, "YAML config file: tiers, prices, latency profiles, policies")->required();
    c->add_option("--data", w.data_paths, "labeled JSONL (format of shared/data/routellm); several are concatenated")->required();
    c->add_option("--outcome", w.outcomes, "TIER=MODEL: the data model whose outcomes a tier stands for (repeatable; "
                                           "default: weak model -> cheapest tier, strong -> dearest)");
    c->add_option("--tokens", w.tokens, "IN:OUT tokens per request where the data has no usage or response");
    c->add_flag("--tokens-only", w.tokens_override, "use --tokens for every request, not the data's sizes");
    c->add_option("--cache-hit-rate", w.cache_hit_rate, "share of input tokens billed at the cache-hit price")
        ->check(CLI::Range(0.0, 1.0));
    c->add_option("--folds", w.folds, "folds for the held-out learned router")->check(CLI::Range(2, 100));
    c->add_option("--seed", w.seed, "seed for folds, training and latency draws");
    c->add_option("--weak", w.weak, "weak model name in the data");
    c->add_option("--strong", w.strong, "strong model name in the data");
    c->add_flag("--keep-contaminated", w.keep_contaminated, "keep rows marked contaminated");
    w.hash_bits = 18;  // as the shipped model
    c->add_option("--hash-bits", w.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));
  };

  fulcrum::SimulateCommand simulate;
  auto* simulate_cmd = app.add_subcommand("simulate", "replay a labeled workload through each routing strategy: daily "
                                                      "cost, quality, tier mix, p95 latency, savings");
  workload_options(simulate_cmd, simulate);
  simulate_cmd->add_option("--requests-per-day", simulate.requests_per_day, "daily volume the costs are scaled to")->required();
  simulate_cmd->add_option("--split", simulate.split_strong_percent, "% of requests the weighted split sends to the strong tier")
      ->check(CLI::Range(0.0, 100.0));
  simulate_cmd->add_option("--points", simulate.operating_points, "% strong calls of the learned threshold's operating points")
      ->check(CLI::Range(0.0, 100.0));
  simulate_cmd->add_option("--format", simulate.format, "table, markdown or json");
  simulate_cmd->add_option("--svg", simulate.svg_path, "write the cost vs quality chart (SVG) here");

  fulcrum::CalibrateCommand calibrate;
  auto* calibrate_cmd = app.add_subcommand("calibrate", "pick the learned threshold that meets a target (held-out), "
                                                        "and optionally write it into the config");
  workload_options(calibrate_cmd, calibrate);
  calibrate_cmd->add_option("--strong-share", calibrate.strong_share, "target share of requests on the strong tier (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  calibrate_cmd->add_option("--quality", calibrate.quality_fraction, "target quality as a fraction of all-strong (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  calibrate_cmd->add_option("--daily-budget", calibrate.daily_budget_usd, "target daily spend in USD (with --requests-per-day)")
      ->check(CLI::NonNegativeNumber);
  calibrate_cmd->add_option("--requests-per-day", calibrate.requests_per_day, "daily volume");
  calibrate_cmd->add_option("--policy", calibrate.policy, "index of the threshold policy in router.policies (default: the first)");
  calibrate_cmd->add_option("--level", calibrate.level, "which of its levels (default 0)");
  calibrate_cmd->add_flag("--write", calibrate.write, "write the threshold into the config file");

  fulcrum::BreakevenCommand breakeven;
  auto* breakeven_cmd = app.add_subcommand("breakeven", "how often the cheap tier must err for the strong tier to pay off");
  breakeven_cmd->add_option("--cheap-cost", breakeven.cheap_cost_usd, "cheap tier's cost per request, USD")->check(CLI::NonNegativeNumber);
  breakeven_cmd->add_option("--strong-cost", breakeven.strong_cost_usd, "strong tier's cost per request, USD")->check(CLI::NonNegativeNumber);
  breakeven_cmd->add_option("--error-cost", breakeven.error_costs_usd, "cost of one wrong answer, USD (several: one line each)")->required();
  breakeven_cmd->add_option("-c,--config", breakeven.config_path, "derive costs from the config's prices (with --tokens)");
  breakeven_cmd->add_option("--tokens", breakeven.tokens, "IN:OUT tokens per request");
  breakeven_cmd->add_option("--cheap", breakeven.cheap_tier, "cheap tier name (default: cheapest)");
  breakeven_cmd->add_option("--strong", breakeven.strong_tier, "strong tier name (default: dearest)");
  breakeven_cmd->add_option("--requests-per-day", breakeven.requests_per_day, "daily volume: also print errors per day");
  breakeven_cmd->add_option("--cheap-error-rate", breakeven.cheap_error_rate, "measured error rate of the cheap tier (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  breakeven_cmd->add_option("--strong-error-rate", breakeven.strong_error_rate, "measured error rate of the strong tier (0-1)")
      ->check(CLI::Range(0.0, 1.0));

  fulcrum::RecommendCommand recommend;
  auto* recommend_cmd = app.add_subcommand("recommend", "apply the article's decision matrix to a labeled workload");
  workload_options(recommend_cmd, recommend);
  recommend_cmd->add_option("--latency-budget-ms", recommend.latency_budget_ms, "the application's limit on time to first token");
  recommend_cmd->add_option("--daily-budget", recommend.daily_budget_usd, "daily spend limit in USD (with --requests-per-day)");
  recommend_cmd->add_option("--requests-per-day", recommend.requests_per_day, "daily volume");

  fulcrum::LedgerExportCommand ledger_export;
  auto* ledger_cmd = app.add_subcommand("ledger", "the request ledger");
  ledger_cmd->require_subcommand(1);
  auto* export_cmd = ledger_cmd->add_subcommand("export", "write the ledger's requests as CSV or JSON lines");
  export_cmd->add_option("--db", ledger_export.db_path, "ledger file or postgresql:// URL (default: the config's ledger)");
  export_cmd->add_option("-c,--config", ledger_export.config_path, "config whose ledger.path to read");
  export_cmd->add_option("--since", ledger_export.since, "YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or 30m / 24h / 7d ago (default 30d)");
  export_cmd->add_option("--format", ledger_export.format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
  export_cmd->add_option("-o,--out", ledger_export.out_path, "file to write (default: stdout)");
  breakeven_cmd->add_option("--ledger", breakeven.ledger_path, "use the error rates measured from feedback in this ledger (a file or a postgresql:// URL)");
  breakeven_cmd->add_option("--since", breakeven.since, "ledger window (default 30d)");

  auto* hash_cmd = app.add_subcommand("hash-key", "print the SHA-256 of a gateway API key read from stdin (for keys.NAME.sha256)");

  if (argc == 1) {  // no subcommand: say what there is, not just that one is required
    std::cerr << app.help() << "\nRun `fulcrum SUBCOMMAND --help` for its options.\n";
    return 2;
  }
  CLI11_PARSE(app, argc, argv);
  if (*hash_cmd) {
    std::string key;
    std::getline(std::cin, key);
    if (!key.empty() && key.back() == '\r') key.pop_back();
    if (key.empty()) {
      std::cerr << "fulcrum: hash-key: no key on stdin\n";
      return 2;
    }
    std::cout << fulcrum::sha256_hex(key) << '\n';
    return 0;
  }
  if (*export_cmd) return fulcrum::run_ledger_export(ledger_export);
  if (*simulate_cmd) return fulcrum::run_simulate(simulate);
  if (*calibrate_cmd) return fulcrum::run_calibrate(calibrate);
  if (*breakeven_cmd) return fulcrum::run_breakeven(breakeven);
  if (*recommend_cmd) return fulcrum::run_recommend(recommend);
  if (*serve_cmd) return fulcrum::run_serve(serve);
  if (*validate_cmd) return fulcrum::run_validate(validate_path);
  if (*train_cmd) return fulcrum::run_train(train);
  if (*eval_cmd) return fulcrum::run_eval(eval);
  if (*domains_cmd) return fulcrum::run_train_domains(train_domains);
  if (*route_cmd) return fulcrum::run_route(route);
  return 2;
}
