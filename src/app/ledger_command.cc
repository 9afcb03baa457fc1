#include "app/ledger_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "config/load.h"
#include "core/clock.h"
#include "ledger/ledger_reader.h"

namespace fulcrum {

std::string ledger_path(const std::string& db_path, const std::string& config_path) {
  if (!db_path.empty()) return db_path;
  if (config_path.empty()) {
    std::cerr << "fulcrum: give --db LEDGER or --config FILE\n";
    return {};
  }
  auto loaded = load_config_file(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e << '\n';
    return {};
  }
  if (loaded.config->ledger.path.empty()) {
    std::cerr << "fulcrum: " << config_path << " turns the ledger off (ledger.path)\n";
    return {};
  }
  return loaded.config->ledger.path;
}

int run_ledger_export(const LedgerExportCommand& cmd) {
  const auto path = ledger_path(cmd.db_path, cmd.config_path);
  if (path.empty()) return 2;
  if (!std::filesystem::exists(path)) {
    std::cerr << "fulcrum: ledger " << path << " does not exist\n";
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
  auto st = export_ledger(path, *since, cmd.format, cmd.out_path.empty() ? std::cout : file);
  if (!st) {
    std::cerr << "fulcrum: " << st.error().message << '\n';
    return st.error().code == Errc::invalid_request ? 2 : 1;
  }
  return 0;
}

}  // namespace fulcrum
