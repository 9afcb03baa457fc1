// Any bytes as a Responses or Messages API request body, as a chat answer to
// turn into a Response or a Message (or an error into Anthropic's shape), and
// as a chat event stream split anywhere: no crash, no throw.
#include <cstdint>
#include <string>

#include <boost/json.hpp>

#include "anthropic/messages_api.h"
#include "openai/responses_api.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split = data[0] % 32 + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  (void)fulcrum::responses_to_chat(input);
  (void)fulcrum::messages_to_chat(input);
  (void)fulcrum::anthropic_error(400, input);

  boost::system::error_code ec;
  auto v = boost::json::parse(input, ec);
  if (!ec)
    if (auto* obj = v.if_object()) {
      (void)boost::json::serialize(fulcrum::chat_to_response(*obj, "resp_f"));
      (void)boost::json::serialize(fulcrum::chat_to_message(*obj, "msg_f"));
    }

  fulcrum::ResponsesStream stream("resp_f", 0);
  fulcrum::MessagesStream messages("msg_f");
  std::string out;
  for (std::size_t i = 0; i < input.size(); i += split) {
    out += stream.feed(input.substr(i, split));
    out += messages.feed(input.substr(i, split));
  }
  out += stream.finish();
  out += messages.finish();
  return 0;
}
