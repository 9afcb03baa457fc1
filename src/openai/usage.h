#pragma once
// Token usage as an OpenAI-compatible upstream reports it, with DeepSeek's
// cache split.
#include <cstdint>
#include <optional>

#include <boost/json/fwd.hpp>

#include "accounting/usage.h"

namespace fulcrum {

// The counts a usage object holds, as whichever JSON reader found them: a
// count that is missing, or not a non-negative number, is 0; an optional is
// set when its key (or, for `cached`, the details object) is there at all.
struct UsageCounts {
  std::int64_t prompt = 0, completion = 0;
  std::optional<std::int64_t> cache_hit, cache_miss;  // prompt_cache_{hit,miss}_tokens (DeepSeek)
  std::optional<std::int64_t> cached;                 // prompt_tokens_details.cached_tokens (OpenAI)
  std::int64_t reasoning = 0;                         // completion_tokens_details.reasoning_tokens
};

// Usage from the counts: see parse_usage.
Usage usage_from_counts(const UsageCounts& counts);

// Reads {"prompt_tokens", "completion_tokens", "prompt_cache_hit_tokens",
// "prompt_cache_miss_tokens", "prompt_tokens_details.cached_tokens" (OpenAI),
// "completion_tokens_details.reasoning_tokens"}. Missing fields count as 0;
// when no cache split is given, all prompt tokens are cache misses.
Usage parse_usage(const boost::json::object& usage);

}  // namespace fulcrum
