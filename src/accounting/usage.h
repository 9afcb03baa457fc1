#pragma once
// Tokens one call used, with DeepSeek's cache split, and their price under a
// tier's prices. Wire formats read it (openai/usage.h, anthropic/); the
// ledger, metrics and budgets count it.
#include <cstdint>

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

struct Cost {
  PicoUsd input = 0;   // cache-miss prompt tokens
  PicoUsd cached = 0;  // cache-hit prompt tokens
  PicoUsd output = 0;
  PicoUsd total() const { return input + cached + output; }
};

Cost price_usage(const Usage& u, const Prices& p);

}  // namespace fulcrum
