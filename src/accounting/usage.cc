#include "accounting/usage.h"

namespace fulcrum {

Usage& Usage::operator+=(const Usage& o) {
  prompt_tokens += o.prompt_tokens;
  cache_hit_tokens += o.cache_hit_tokens;
  cache_miss_tokens += o.cache_miss_tokens;
  completion_tokens += o.completion_tokens;
  reasoning_tokens += o.reasoning_tokens;
  estimated = estimated || o.estimated;
  return *this;
}

Cost price_usage(const Usage& u, const Prices& p) {
  Cost c;
  c.input = cost_of_tokens(u.cache_miss_tokens, p.input);
  c.cached = cost_of_tokens(u.cache_hit_tokens, p.cached_input);
  c.output = cost_of_tokens(u.completion_tokens, p.output);
  return c;
}

}  // namespace fulcrum
