#pragma once
// Token usage as an OpenAI-compatible upstream reports it, with DeepSeek's
// cache split.
#include <boost/json/fwd.hpp>

#include "accounting/usage.h"

namespace fulcrum {

// Reads {"prompt_tokens", "completion_tokens", "prompt_cache_hit_tokens",
// "prompt_cache_miss_tokens", "prompt_tokens_details.cached_tokens" (OpenAI),
// "completion_tokens_details.reasoning_tokens"}. Missing fields count as 0;
// when no cache split is given, all prompt tokens are cache misses.
Usage parse_usage(const boost::json::object& usage);

}  // namespace fulcrum
