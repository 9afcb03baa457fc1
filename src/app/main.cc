// fulcrum: an LLM routing gateway. Composition root: subcommands are wired here.
#include <CLI/CLI.hpp>

#include "app/learn_commands.h"
#include "app/route_command.h"
#include "app/serve.h"

int main(int argc, char** argv) {
  CLI::App app{"fulcrum: a fast, self-hosted LLM routing gateway"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fulcrum 0.1.0");

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
  train_cmd->add_option("--data", train.data_paths, "labeled JSONL (format of shared/data/routellm); several are concatenated")->required();
  train_cmd->add_option("--out", train.out_path, "model file to write")->required();
  train_cmd->add_option("--weak", train.weak, "weak model name in the data (default: lower mean score)");
  train_cmd->add_option("--strong", train.strong, "strong model name in the data (default: higher mean score)");
  train_cmd->add_option("--seed", train.seed, "random seed");
  train_cmd->add_flag("--keep-contaminated", train.keep_contaminated, "keep rows marked contaminated");
  train.hash_bits = 18;  // shipped models: 3 x 256 KiB
  train_cmd->add_option("--hash-bits", train.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));

  fulcrum::TrainDomainsCommand train_domains;
  train_domains.hash_bits = 16;
  auto* domains_cmd = app.add_subcommand("train-domains", "train the domain classifier from MMLU subjects (k-fold accuracy, then a model)");
  domains_cmd->add_option("--data", train_domains.data_paths, "labeled JSONL with `category`")->required();
  domains_cmd->add_option("--out", train_domains.out_path, "model file to write")->required();
  domains_cmd->add_option("--folds", train_domains.folds, "folds for the accuracy estimate")->check(CLI::Range(2, 100));
  domains_cmd->add_option("--seed", train_domains.seed, "random seed");
  domains_cmd->add_option("--hash-bits", train_domains.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));

  fulcrum::EvalCommand eval;
  auto* eval_cmd = app.add_subcommand("eval", "k-fold held-out evaluation: APGR and CPT as RouteLLM computes them");
  eval_cmd->add_option("--data", eval.data_paths, "labeled JSONL; several are concatenated")->required();
  eval_cmd->add_option("--folds", eval.folds, "number of folds")->check(CLI::Range(2, 100));
  eval_cmd->add_option("--seed", eval.seed, "seed for folds, training and the random baseline");
  eval_cmd->add_option("--weak", eval.weak, "weak model name in the data");
  eval_cmd->add_option("--strong", eval.strong, "strong model name in the data");
  eval_cmd->add_option("--dump-scores", eval.dump_scores_path, "write each prompt's id and held-out score as JSONL");
  eval_cmd->add_flag("--keep-contaminated", eval.keep_contaminated, "keep rows marked contaminated");
  eval_cmd->add_option("--hash-bits", eval.hash_bits, "2^N feature buckets per model")->check(CLI::Range(12, 24));

  fulcrum::RouteCommand route;
  auto* route_cmd = app.add_subcommand("route", "print the routing decision for a request body (or prompt) on stdin");
  route_cmd->add_option("-c,--config", route.config_path, "YAML config file")->required();
  route_cmd->add_flag("--explain", route.explain, "also print every feature the router saw");
  route_cmd->add_option("-H,--header", route.headers, "a request header, \"name: value\" (repeatable)");

  CLI11_PARSE(app, argc, argv);
  if (*serve_cmd) return fulcrum::run_serve(serve);
  if (*validate_cmd) return fulcrum::run_validate(validate_path);
  if (*train_cmd) return fulcrum::run_train(train);
  if (*eval_cmd) return fulcrum::run_eval(eval);
  if (*domains_cmd) return fulcrum::run_train_domains(train_domains);
  if (*route_cmd) return fulcrum::run_route(route);
  return 2;
}
