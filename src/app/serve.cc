#include "app/serve.h"

#include <cstdio>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/gateway_runtime.h"
#include "app/operations.h"
#include "config/load.h"
#include "config/url.h"
#include "routing/router.h"
#include "state/state_store.h"

namespace fulcrum {

int run_validate(const std::string& config_path) {
  auto loaded = load_config_file(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e << '\n';
    std::cerr << loaded.errors.size() << (loaded.errors.size() == 1 ? " error" : " errors") << " in "
              << config_path << '\n';
    return 1;
  }
  // The router too: its model file must load and fit its policies.
  if (auto router = build_router(loaded.config); !router) {
    std::cerr << config_path << ": " << router.error().message << '\n';
    return 1;
  }
  const auto& c = *loaded.config;
  std::cout << config_path << ": ok (" << c.providers.size() << " providers, " << c.tiers.size() << " tiers, "
            << c.router.policies.size() << " policies, default tier " << c.router.default_tier << ")\n";
  for (const auto& p : c.providers)
    if (!p.api_key_env.empty() && !std::getenv(p.api_key_env.c_str()))
      std::cout << "note: provider " << p.name << " reads its API key from " << p.api_key_env
                << ", which is not set in this environment\n";
  return 0;
}

int run_serve(const ServeOptions& options) {
  auto loaded = load_config_file(options.config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e << '\n';
    return 1;
  }
  auto config = std::const_pointer_cast<Config>(loaded.config);
  if (!options.listen_override.empty()) {
    auto hp = parse_host_port(options.listen_override);
    if (!hp) {
      std::cerr << "--listen: expected HOST:PORT, e.g. 127.0.0.1:8080\n";
      return 2;
    }
    config->listen_address = hp->host;
    config->listen_port = hp->port;
  }
  if (options.threads_override >= 0) config->threads = options.threads_override;
  spdlog::set_level(spdlog::level::from_str(config->log.level));

  auto ops = Operations::create(config);
  if (!ops) {
    std::cerr << "fulcrum: " << ops.error().message << '\n';
    return 1;
  }
  GatewayRuntime runtime(config, (*ops)->services());
  auto status = runtime.start();
  if (!status) {
    std::cerr << "fulcrum: " << status.error().message << '\n';
    return 1;
  }
  for (const auto& warning : runtime.warnings()) spdlog::warn("{}", warning);
  if (config->keys.empty() && !is_loopback_address(config->listen_address))
    spdlog::warn("listening on {} with no gateway keys: anyone who can reach this address may spend on your "
                 "providers' accounts and read /metrics and /dashboard; add keys (fulcrum hash-key) or listen on "
                 "127.0.0.1", config->listen_address);
  std::printf("fulcrum listening on http://%s:%u (%d threads, %zu tiers, default %s)\n",
              config->listen_address.c_str(), runtime.port(), runtime.threads(), config->tiers.size(),
              config->router.default_tier.c_str());
  std::fflush(stdout);
  // SIGHUP: validate the file, then swap; a bad file keeps the running config.
  auto reload = [&] {
    auto fresh = load_config_file(options.config_path);
    if (!fresh.config) {
      spdlog::error("reload of {} refused ({} errors); keeping the running config", options.config_path,
                    fresh.errors.size());
      for (const auto& e : fresh.errors) spdlog::error("{}", e);
      return;
    }
    auto next = std::const_pointer_cast<Config>(fresh.config);
    if (next->ledger.path != config->ledger.path || next->state.url != config->state.url)
      spdlog::warn("reload: ledger.path/url and state changes need a restart; keeping {} and {}",
                   LedgerLocation(config->ledger.path).display(),
                   redact_url(config->state.url));
    next->listen_address = config->listen_address;  // the socket stays; --listen/--threads still apply
    next->listen_port = config->listen_port;
    next->threads = config->threads;
    if (auto st = runtime.reload(next); !st) {
      spdlog::error("reload of {} refused: {}; keeping the running config", options.config_path, st.error().message);
      return;
    }
    spdlog::info("reloaded {}: {} tiers, {} policies, default tier {}", options.config_path, next->tiers.size(),
                 next->router.policies.size(), next->router.default_tier);
  };
  runtime.wait_for_signal(reload);
  if (auto* ledger = (*ops)->ledger()) {
    ledger->close();  // a database still away after ledger stop grace: the rest is counted lost, not waited for
    if (const auto lost = ledger->write_errors() + ledger->dropped())
      spdlog::warn("ledger {} closed; {} records were not written in this run", ledger->location().display(), lost);
    else
      spdlog::info("ledger {} flushed", ledger->location().display());
  }
  return 0;
}

}  // namespace fulcrum
