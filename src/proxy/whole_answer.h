#pragma once
// Rewrites a whole (non-streamed) chat-completions answer for the client.
// Reading it is openai/answer_reader.h's.
#include <string>
#include <string_view>

namespace fulcrum {

// The answer with every choice's `logprobs` set to null (fulcrum asked for
// them for a cascade, not the client). Returned as it is when it is not a JSON object.
std::string without_logprobs(std::string_view answer);

}  // namespace fulcrum
