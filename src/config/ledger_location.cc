#include "config/ledger_location.h"

namespace fulcrum {

bool is_postgres_url(const std::string& target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

bool LedgerLocation::postgres() const { return is_postgres_url(target); }

std::string LedgerLocation::display() const {
  if (!postgres()) return target;
  // scheme://user:password@host/db -> scheme://user@host/db
  const auto authority = target.find("://") + 3;
  const auto at = target.find('@', authority);
  const auto slash = target.find('/', authority);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return target;
  const auto colon = target.find(':', authority);
  if (colon == std::string::npos || colon > at) return target;
  return target.substr(0, colon) + target.substr(at);
}

}  // namespace fulcrum
