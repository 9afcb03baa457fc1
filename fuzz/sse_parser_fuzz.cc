// Any bytes, split anywhere: the parser must not crash, and relaying the raw bytes of
// the events it returns plus the pending tail must reproduce the input exactly.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/sse_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split = data[0] % 16 + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  fulcrum::SseParser parser;
  std::string rejoined;
  for (std::size_t i = 0; i < input.size(); i += split) {
    parser.feed(input.substr(i, split));
    fulcrum::SseEvent ev;
    while (parser.next(ev)) rejoined.append(ev.raw);
  }
  rejoined.append(parser.pending());
  if (rejoined != input) std::abort();
  return 0;
}
