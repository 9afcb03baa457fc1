#pragma once
// Where a ledger lives: a SQLite file (the embedded default), or a
// PostgreSQL database that every replica shares (a postgresql:// or
// postgres:// URL, as libpq takes it).
#include <string>

#include "core/result.h"

namespace fulcrum {

struct LedgerLocation {
  std::string target;    // a file path or a URL
  std::string password;  // PostgreSQL: given apart from the URL; empty = libpq's own (PGPASSWORD, ~/.pgpass)

  LedgerLocation() = default;
  LedgerLocation(std::string where, std::string secret = {}) : target(std::move(where)), password(std::move(secret)) {}  // NOLINT: a path is a location

  bool postgres() const;
  // For messages: the URL with any password in it left out.
  std::string display() const;
};

bool is_postgres_url(const std::string& target);

}  // namespace fulcrum
