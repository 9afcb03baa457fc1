#pragma once
// Splits a provider base_url ("https://api.deepseek.com", "http://127.0.0.1:8000/v1")
// into what the upstream client needs.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace fulcrum {

struct BaseUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path_prefix;  // no trailing '/'
};

Result<BaseUrl> parse_base_url(std::string_view url);

struct HostPort {
  std::string host;  // IPv6 without brackets
  std::uint16_t port = 0;
};

// "0.0.0.0:8080", "[::1]:0", "localhost:80"; nullopt when malformed.
std::optional<HostPort> parse_host_port(std::string_view text);

// 127.0.0.0/8, ::1 or "localhost": only this machine can connect.
bool is_loopback_address(std::string_view host);

}  // namespace fulcrum
