#pragma once
// Upstream API keys, read once from the environment variables that the
// config names. Keys live only here: never in Config, logs, errors or metrics.
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace fulcrum {

class Credentials {
 public:
  // Reads each provider's api_key_env from the process environment.
  static Credentials from_environment(const Config& config);

  // The key to send, empty when the provider needs none.
  const std::string& key(std::size_t provider) const { return keys_[provider]; }
  // True when the provider names a variable that is unset or empty.
  bool missing(std::size_t provider) const { return missing_[provider]; }

 private:
  std::vector<std::string> keys_;
  std::vector<bool> missing_;
};

}  // namespace fulcrum
