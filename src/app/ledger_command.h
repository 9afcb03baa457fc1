#pragma once
// `fulcrum ledger export`: the ledger's requests as CSV or JSON lines.
#include <optional>
#include <string>

#include "config/config.h"
#include "core/result.h"
#include "config/ledger_location.h"

namespace fulcrum {

struct LedgerExportCommand {
  std::string db_path;      // the ledger file or postgresql:// URL; or from the config's ledger
  std::string config_path;
  std::string since = "30d";
  std::string format = "csv";
  std::string out_path;     // empty: stdout
};

int run_ledger_export(const LedgerExportCommand& cmd);

// The ledger a command reads: --db, else the config's ledger. Prints the
// problem and returns nullopt when neither gives one.
std::optional<LedgerLocation> ledger_location(const std::string& db_path, const std::string& config_path);

// The config's ledger, with the PostgreSQL password read from the variable
// ledger.password_env names (an error when it is unset).
Result<LedgerLocation> configured_ledger(const LedgerConfig& ledger);

}  // namespace fulcrum
