#pragma once
// YAML file -> validated, immutable Config. Runs at start-up and on reload,
// never on the request path, so it may allocate freely. Every problem found
// is reported (not just the first) as "<file>:<line>:<col>: <yaml.path>: <why>".
#include <string>
#include <vector>

#include "config/config.h"

namespace fulcrum {

struct ConfigLoadResult {
  ConfigPtr config;                 // null when errors is non-empty
  std::vector<std::string> errors;  // each names the YAML path and line
};

ConfigLoadResult load_config_file(const std::string& path);
// Parses YAML text; `source_name` is used in messages in place of a path.
ConfigLoadResult load_config_text(const std::string& yaml_text, const std::string& source_name);

}  // namespace fulcrum
