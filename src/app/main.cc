// fulcrum: an LLM routing gateway. Composition root: subcommands are wired here.
#include <CLI/CLI.hpp>

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

  CLI11_PARSE(app, argc, argv);
  if (*serve_cmd) return fulcrum::run_serve(serve);
  if (*validate_cmd) return fulcrum::run_validate(validate_path);
  return 2;
}
