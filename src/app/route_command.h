#pragma once
#include <string>
#include <vector>

namespace fulcrum {

struct RouteCommand {
  std::string config_path;
  bool explain = false;
  std::vector<std::string> headers;  // "name: value"
};

// Reads a request body (or a bare prompt) on stdin, prints the routing
// decision (and with --explain every feature) without calling any upstream.
int run_route(const RouteCommand& cmd);

}  // namespace fulcrum
