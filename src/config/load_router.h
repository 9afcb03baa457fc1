#pragma once
// Reads and validates the `router:` section (tiers must already be loaded).
#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace fulcrum {

void read_router_section(Reader& r, const YAML::Node& router, Config& cfg);

}  // namespace fulcrum
