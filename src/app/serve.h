#pragma once
#include <string>

namespace fulcrum {

struct ServeOptions {
  std::string config_path;
  std::string listen_override;  // HOST:PORT, empty keeps the config's
  int threads_override = -1;
};

// Runs the gateway until SIGINT/SIGTERM. Returns the process exit code.
int run_serve(const ServeOptions& options);

// Validates a config file; prints every error. Returns the process exit code.
int run_validate(const std::string& config_path);

}  // namespace fulcrum
