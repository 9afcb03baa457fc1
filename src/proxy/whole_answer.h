#pragma once
// What fulcrum reads from a whole (non-streamed) chat-completions answer: its
// usage, or the text to estimate it from, and choice 0's logprobs for a
// cascade. Total over any JSON object an upstream may send: a field that is
// missing or of the wrong type is treated as absent, never trusted.
#include <cstdint>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>

#include "openai/usage.h"

namespace fulcrum {

struct WholeAnswer {
  bool has_choices = false;      // `choices` is an array (an OpenAI answer must have one)
  std::optional<Usage> usage;    // the answer's own usage object
  std::int64_t answer_code_points = 0;  // every choice's message (answer_code_points())
  std::vector<double> logprobs;  // choice 0's token logprobs, in order
};

WholeAnswer inspect_whole_answer(const boost::json::object& answer);

// Sets every choice's `logprobs` to null (they were asked for by fulcrum, not the client).
void drop_logprobs(boost::json::object& answer);

}  // namespace fulcrum
