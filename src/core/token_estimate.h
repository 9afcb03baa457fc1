#pragma once
// Token counts estimated from text, used only when an upstream did not report
// usage (a stream cut short). The routing engine refines the ratio per tier.
#include <cstdint>
#include <string_view>

namespace fulcrum {

// About 4 characters per token for English text (OpenAI's rule of thumb);
// counts UTF-8 code points, not bytes, so CJK text is not over-counted 3x.
std::int64_t estimate_tokens(std::string_view text, double chars_per_token = 4.0);

// The same estimate from a count of code points (text counted piece by piece).
std::int64_t estimate_tokens_of(std::int64_t code_points, double chars_per_token = 4.0);
std::int64_t count_code_points(std::string_view text);

}  // namespace fulcrum
