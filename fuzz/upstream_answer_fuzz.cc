// Any bytes an upstream may answer with, as a whole body and as an event
// stream split anywhere: reading usage, logprobs and text must not crash or
// throw, and the relay must account every event it passes on.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <boost/json.hpp>

#include "anthropic/messages_upstream.h"
#include "openai/answer_reader.h"
#include "proxy/stream_relay.h"
#include "proxy/whole_answer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split = data[0] % 32 + 1;
  const bool wants_usage = data[0] & 0x80;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Whole: what chat_completion does with a 2xx body.
  if (const auto answer = fulcrum::read_answer(input, fulcrum::AnswerPart::message, 64)) {
    if (answer->logprobs.size() > 64) std::abort();
    (void)fulcrum::without_logprobs(input);
  }

  // A Messages upstream's answer (provider type anthropic), whole and streamed, read as a chat
  // completion: what comes out must be what the relay reads, and valid JSON events.
  if (auto chat = fulcrum::message_to_chat(input))
    if (!fulcrum::read_answer(boost::json::serialize(*chat), fulcrum::AnswerPart::message, 64)) std::abort();
  {
    fulcrum::ChatChunksFromMessages chunks;
    std::string translated;
    for (std::size_t i = 0; i < input.size(); i += split) translated += chunks.feed(input.substr(i, split));
    fulcrum::StreamAccounting reader(true);
    std::string relayed;
    reader.feed(translated, relayed, [] { return std::string(); });
  }
  (void)fulcrum::chat_to_messages_request(input, 1024);
  (void)fulcrum::chat_error_from_messages(std::string(input));

  // Streamed: relayed in chunks of `split` bytes.
  fulcrum::StreamAccounting relay(wants_usage);
  std::string out;
  int comments = 0;
  auto cost_comment = [&] {
    ++comments;
    return std::string(": fulcrum-cost {}\n\n");
  };
  for (std::size_t i = 0; i < input.size() && !relay.overflowed(); i += split) relay.feed(input.substr(i, split), out, cost_comment);
  relay.finish(out, cost_comment);
  if (comments != (relay.saw_done() ? 1 : 0)) std::abort();  // the cost goes out once, at [DONE]
  if (relay.answer_code_points() < 0) std::abort();
  return 0;
}
