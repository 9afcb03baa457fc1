#pragma once
// Token counts estimated from text, used only when an upstream did not report
// usage (a stream cut short). The routing engine refines the ratio per tier.
#include <cstdint>
#include <string_view>

namespace fulcrum {

// About 4 characters per token for English text (OpenAI's rule of thumb);
// counts UTF-8 code points, not bytes, so CJK text is not over-counted 3x.
std::int64_t estimate_tokens(std::string_view text, double chars_per_token = 4.0);

}  // namespace fulcrum
