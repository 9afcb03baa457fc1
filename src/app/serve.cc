#include "app/serve.h"

#include <cstdio>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/access_log.h"
#include "app/gateway_runtime.h"
#include "config/load.h"
#include "config/url.h"
#include "ledger/ledger.h"
#include "metrics/metrics.h"
#include "routing/router.h"

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

  AccessLog access_log;
  Metrics metrics(*config);
  std::unique_ptr<Ledger> ledger;
  if (!config->ledger.path.empty()) {
    auto opened = Ledger::open(LedgerOptions{config->ledger.path, config->ledger.queue, config->ledger.flush});
    if (!opened) {
      std::cerr << "fulcrum: " << opened.error().message << '\n';
      return 1;
    }
    ledger = std::move(opened.value());
    metrics.add_gauge("fulcrum_ledger_queue_depth", "Ledger records waiting to be written.",
                      [l = ledger.get()] { return static_cast<double>(l->queue_depth()); });
    metrics.add_gauge("fulcrum_ledger_dropped_records", "Ledger records dropped because the queue was full.",
                      [l = ledger.get()] { return static_cast<double>(l->dropped()); });
  }
  ObserverList observers;
  if (config->log.access_log) observers.add(&access_log);
  observers.add(ledger.get());
  observers.add(&metrics);
  GatewayRuntime runtime(config, &observers, ledger.get(), &metrics);
  auto status = runtime.start();
  if (!status) {
    std::cerr << "fulcrum: " << status.error().message << '\n';
    return 1;
  }
  for (const auto& warning : runtime.warnings()) spdlog::warn("{}", warning);
  std::printf("fulcrum listening on http://%s:%u (%d threads, %zu tiers, default %s)\n",
              config->listen_address.c_str(), runtime.port(), runtime.threads(), config->tiers.size(),
              config->router.default_tier.c_str());
  std::fflush(stdout);
  runtime.wait_for_signal();
  if (ledger) {
    ledger->flush();
    spdlog::info("ledger {} flushed", ledger->path());
  }
  return 0;
}

}  // namespace fulcrum
