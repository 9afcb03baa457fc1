// Any body: parse_chat_request answers a value or an error, never crashes; a parsed
// request always builds an upstream body that is valid JSON.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include "openai/chat_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto req = fulcrum::parse_chat_request(body);
  if (!req) return 0;
  fulcrum::Tier tier;
  tier.model = "m";
  tier.params["thinking"] = boost::json::object{{"type", "enabled"}};
  auto out = fulcrum::build_upstream_body(*req, tier);
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec || !v.is_object()) std::abort();
  (void)req->prompt_text();
  return 0;
}
