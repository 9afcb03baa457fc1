#include "openai/usage.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace fulcrum {

TEST(Usage, ReadsDeepSeekCacheSplitAndReasoning) {
  auto u = parse_usage(boost::json::parse(R"({"prompt_tokens":1000,"completion_tokens":300,
      "prompt_cache_hit_tokens":800,"prompt_cache_miss_tokens":200,
      "completion_tokens_details":{"reasoning_tokens":120}})").as_object());
  EXPECT_EQ(u.prompt_tokens, 1000);
  EXPECT_EQ(u.cache_hit_tokens, 800);
  EXPECT_EQ(u.cache_miss_tokens, 200);
  EXPECT_EQ(u.completion_tokens, 300);
  EXPECT_EQ(u.reasoning_tokens, 120);
}

TEST(Usage, ReadsOpenAiCachedTokensAndDefaultsToAllMisses) {
  auto a = parse_usage(boost::json::parse(R"({"prompt_tokens":100,"completion_tokens":5,
      "prompt_tokens_details":{"cached_tokens":64}})").as_object());
  EXPECT_EQ(a.cache_hit_tokens, 64);
  EXPECT_EQ(a.cache_miss_tokens, 36);
  auto b = parse_usage(boost::json::parse(R"({"prompt_tokens":100,"completion_tokens":5})").as_object());
  EXPECT_EQ(b.cache_hit_tokens, 0);
  EXPECT_EQ(b.cache_miss_tokens, 100);
}

TEST(Usage, PricesEachKindOfTokenAtItsOwnPrice) {
  Usage u;
  u.cache_hit_tokens = 800;
  u.cache_miss_tokens = 200;
  u.completion_tokens = 300;
  Prices flash{140000, 2800, 280000};  // $0.14 / $0.0028 / $0.28 per 1M
  auto c = price_usage(u, flash);
  EXPECT_EQ(c.input, 200 * 140000);
  EXPECT_EQ(c.cached, 800 * 2800);
  EXPECT_EQ(c.output, 300 * 280000);
  // 200*0.14e-6 + 800*0.0028e-6 + 300*0.28e-6 = 0.000028 + 0.00000224 + 0.000084
  EXPECT_EQ(format_usd(c.total()), "0.00011424");
}

}  // namespace fulcrum
