// Any bytes as a Responses API request body, as a chat answer to turn into a
// Response, and as a chat event stream split anywhere: no crash, no throw.
#include <cstdint>
#include <string>

#include <boost/json.hpp>

#include "openai/responses_api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split = data[0] % 32 + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  (void)fulcrum::responses_to_chat(input);

  boost::system::error_code ec;
  auto v = boost::json::parse(input, ec);
  if (!ec)
    if (auto* obj = v.if_object()) (void)boost::json::serialize(fulcrum::chat_to_response(*obj, "resp_f"));

  fulcrum::ResponsesStream stream("resp_f", 0);
  std::string out;
  for (std::size_t i = 0; i < input.size(); i += split) out += stream.feed(input.substr(i, split));
  out += stream.finish();
  return 0;
}
