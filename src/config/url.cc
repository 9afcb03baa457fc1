#include "config/url.h"

#include <boost/asio/ip/address_v4.hpp>

#include <boost/url/parse.hpp>

namespace fulcrum {

Result<BaseUrl> parse_base_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return make_error(Errc::invalid_request, "expected an absolute http:// or https:// URL");
  const auto& u = *parsed;
  BaseUrl out;
  if (u.scheme() == "https") out.tls = true;
  else if (u.scheme() != "http") return make_error(Errc::invalid_request, "scheme must be http or https");
  if (u.host().empty()) return make_error(Errc::invalid_request, "the URL has no host");
  if (u.has_query() || u.has_fragment()) return make_error(Errc::invalid_request, "the URL must not have a query or fragment");
  out.host = u.host();
  // IPv6 literals arrive bracketed; the resolver wants them bare.
  if (out.host.size() > 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  out.port = u.has_port() ? std::string(u.port()) : (out.tls ? "443" : "80");
  out.path_prefix = u.encoded_path();
  while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
  return out;
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  unsigned long port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  HostPort out;
  out.host = std::string(text.substr(0, colon));
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') out.host = out.host.substr(1, out.host.size() - 2);
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

bool is_loopback_address(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address_v4(std::string(host), ec);
  return !ec && a.is_loopback();
}

}  // namespace fulcrum
