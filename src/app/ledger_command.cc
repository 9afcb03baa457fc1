#include "app/ledger_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "config/load.h"
#include "core/clock.h"
#include "ledger/ledger_reader.h"

namespace fulcrum {

Result<LedgerLocation> configured_ledger(const LedgerConfig& ledger) {
  if (ledger.password_env.empty()) return LedgerLocation(ledger.path);
  const char* password = std::getenv(ledger.password_env.c_str());
  if (!password || !*password)
    return make_error(Errc::invalid_request,
                      "ledger.password_env: the environment variable " + ledger.password_env + " is not set");
  return LedgerLocation(ledger.path, password);
}

std::optional<LedgerLocation> ledger_location(const std::string& db_path, const std::string& config_path) {
  if (!db_path.empty()) return LedgerLocation(db_path);
  if (config_path.empty()) {
    std::cerr << "fulcrum: give --db LEDGER or --config FILE\n";
    return std::nullopt;
  }
  auto loaded = load_config_file(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e << '\n';
    return std::nullopt;
  }
  if (loaded.config->ledger.path.empty()) {
    std::cerr << "fulcrum: " << config_path << " turns the ledger off (ledger.path)\n";
    return std::nullopt;
  }
  auto where = configured_ledger(loaded.config->ledger);
  if (!where) {
    std::cerr << "fulcrum: " << where.error().message << '\n';
    return std::nullopt;
  }
  return std::move(where.value());
}

int run_ledger_export(const LedgerExportCommand& cmd) {
  const auto where = ledger_location(cmd.db_path, cmd.config_path);
  if (!where) return 2;
  if (!where->postgres() && !std::filesystem::exists(where->target)) {
    std::cerr << "fulcrum: ledger " << where->target << " does not exist\n";
    return 1;
  }
  auto since = parse_since(cmd.since, unix_ms_now());
  if (!since) {
    std::cerr << "fulcrum: " << since.error().message << '\n';
    return 2;
  }
  std::ofstream file;
  if (!cmd.out_path.empty()) {
    file.open(cmd.out_path, std::ios::trunc | std::ios::binary);
    if (!file) {
      std::cerr << "fulcrum: " << cmd.out_path << ": cannot write\n";
      return 1;
    }
  }
  auto st = export_ledger(*where, *since, cmd.format, cmd.out_path.empty() ? std::cout : file);
  if (!st) {
    std::cerr << "fulcrum: " << st.error().message << '\n';
    return st.error().code == Errc::invalid_request ? 2 : 1;
  }
  return 0;
}

}  // namespace fulcrum
