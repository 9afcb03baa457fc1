#pragma once
// Token usage as an OpenAI-compatible upstream reports it, with DeepSeek's
// cache split, and its price under a tier's prices.
#include <cstdint>

#include <boost/json/fwd.hpp>

#include "config/config.h"
#include "core/money.h"

namespace fulcrum {

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t cache_hit_tokens = 0;   // prompt tokens billed at the cached price
  std::int64_t cache_miss_tokens = 0;  // prompt tokens billed at the input price
  std::int64_t completion_tokens = 0;  // includes reasoning tokens
  std::int64_t reasoning_tokens = 0;
  bool estimated = false;  // true when counted from text, not reported upstream

  Usage& operator+=(const Usage& o);
};

// Reads {"prompt_tokens", "completion_tokens", "prompt_cache_hit_tokens",
// "prompt_cache_miss_tokens", "prompt_tokens_details.cached_tokens" (OpenAI),
// "completion_tokens_details.reasoning_tokens"}. Missing fields count as 0;
// when no cache split is given, all prompt tokens are cache misses.
Usage parse_usage(const boost::json::object& usage);

struct Cost {
  PicoUsd input = 0;   // cache-miss prompt tokens
  PicoUsd cached = 0;  // cache-hit prompt tokens
  PicoUsd output = 0;
  PicoUsd total() const { return input + cached + output; }
};

Cost price_usage(const Usage& u, const Prices& p);

}  // namespace fulcrum
