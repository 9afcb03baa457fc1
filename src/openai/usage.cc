#include "openai/usage.h"

#include <algorithm>

#include <boost/json.hpp>

#include "core/money.h"

namespace fulcrum {
namespace {

std::int64_t int_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  // A hostile or broken upstream's counts are clamped (core/money.h).
  constexpr auto kMax = kMaxTokenCount;
  if (auto p = it->value().if_int64()) return std::clamp<std::int64_t>(*p, 0, kMax);
  if (auto p = it->value().if_uint64()) return *p > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<std::int64_t>(*p);
  if (auto p = it->value().if_double()) return *p > 0 ? (*p < kMax ? static_cast<std::int64_t>(*p) : kMax) : 0;
  return 0;
}

const boost::json::object* object_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : it->value().if_object();
}

}  // namespace

Usage usage_from_counts(const UsageCounts& c) {
  Usage out;
  out.prompt_tokens = c.prompt;
  out.completion_tokens = c.completion;
  if (c.cache_hit || c.cache_miss) {
    out.cache_hit_tokens = c.cache_hit.value_or(0);
    out.cache_miss_tokens = c.cache_miss ? *c.cache_miss : std::max<std::int64_t>(0, out.prompt_tokens - out.cache_hit_tokens);
  } else if (c.cached) {
    out.cache_hit_tokens = std::min(*c.cached, out.prompt_tokens);
    out.cache_miss_tokens = out.prompt_tokens - out.cache_hit_tokens;
  } else {
    out.cache_miss_tokens = out.prompt_tokens;
  }
  if (out.prompt_tokens == 0) out.prompt_tokens = out.cache_hit_tokens + out.cache_miss_tokens;
  out.reasoning_tokens = c.reasoning;
  return out;
}

Usage parse_usage(const boost::json::object& u) {
  UsageCounts c;
  c.prompt = int_field(u, "prompt_tokens");
  c.completion = int_field(u, "completion_tokens");
  if (u.contains("prompt_cache_hit_tokens")) c.cache_hit = int_field(u, "prompt_cache_hit_tokens");
  if (u.contains("prompt_cache_miss_tokens")) c.cache_miss = int_field(u, "prompt_cache_miss_tokens");
  if (auto details = object_field(u, "prompt_tokens_details")) c.cached = int_field(*details, "cached_tokens");
  if (auto details = object_field(u, "completion_tokens_details")) c.reasoning = int_field(*details, "reasoning_tokens");
  return usage_from_counts(c);
}

}  // namespace fulcrum
