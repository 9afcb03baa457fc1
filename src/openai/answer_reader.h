#pragma once
// What fulcrum reads from a chat-completions answer, whole (choices[].message)
// or one streamed chunk (choices[].delta): its usage, the size of what it says
// (to estimate usage from when none comes) and choice 0's logprobs (for a
// cascade). Only reads: the bytes go to the client as they came. Uses
// simdjson: reading a small answer this way costs half the instructions of
// building a Boost.JSON document of it (bench/RESULTS.md). Total over any
// input: a field that is missing or of the wrong type is treated as absent,
// never trusted; a key given twice counts by its last value, as Boost.JSON
// keeps it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "accounting/usage.h"

namespace fulcrum {

enum class AnswerPart { message, delta };

struct AnswerFields {
  bool has_choices = false;    // `choices` is an array (an OpenAI answer must have one)
  bool choices_empty = true;   // `choices` is missing, not an array, or empty
  std::optional<Usage> usage;  // the answer's own usage object (openai/usage.h)
  // The code points of every choice's message (or delta): its content,
  // reasoning_content and tool-call arguments.
  std::int64_t answer_code_points = 0;
  std::vector<double> logprobs;  // choice 0's logprobs.content[].logprob, in order
};

// nullopt when `json` is not one JSON object. At most `max_logprobs` logprobs are read.
std::optional<AnswerFields> read_answer(std::string_view json, AnswerPart part, std::size_t max_logprobs);

}  // namespace fulcrum
