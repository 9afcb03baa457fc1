#include "providers/credentials.h"

#include <cstdlib>

namespace fulcrum {

Credentials Credentials::from_environment(const Config& config) {
  Credentials c;
  for (const auto& p : config.providers) {
    const char* value = p.api_key_env.empty() ? nullptr : std::getenv(p.api_key_env.c_str());
    c.keys_.emplace_back(value ? value : "");
    c.missing_.push_back(!p.api_key_env.empty() && (value == nullptr || *value == '\0'));
  }
  return c;
}

}  // namespace fulcrum
