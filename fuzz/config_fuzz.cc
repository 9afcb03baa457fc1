// Any YAML text: load_config_text reports errors or a config, never crashes or throws.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/load.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto r = fulcrum::load_config_text(text, "fuzz.yaml");
  if (!r.config && r.errors.empty()) std::abort();
  return 0;
}
