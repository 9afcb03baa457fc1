// Labeled workload lines (simulate / eval / calibrate input) and feedback
// bodies: any bytes give a value or an error naming the line or field, never
// a crash; a parsed feedback score is always within 0..1.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "learn/dataset.h"
#include "openai/feedback.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dataset = fulcrum::parse_dataset(text, "fuzz.jsonl");
  if (!dataset && dataset.error().message.rfind("fuzz.jsonl", 0) != 0) std::abort();
  auto feedback = fulcrum::parse_feedback(text);
  if (feedback && (feedback->score < 0 || feedback->score > 1 || feedback->request_id.empty())) std::abort();
  return 0;
}
