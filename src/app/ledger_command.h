#pragma once
// `fulcrum ledger export`: the ledger's requests as CSV or JSON lines.
#include <string>

namespace fulcrum {

struct LedgerExportCommand {
  std::string db_path;      // the ledger file; or from the config's ledger.path
  std::string config_path;
  std::string since = "30d";
  std::string format = "csv";
  std::string out_path;     // empty: stdout
};

int run_ledger_export(const LedgerExportCommand& cmd);

// The ledger file a command reads: --db, else the config's ledger.path.
// Prints the problem and returns "" when neither gives one.
std::string ledger_path(const std::string& db_path, const std::string& config_path);

}  // namespace fulcrum
