#include "core/money.h"

#include <gtest/gtest.h>

namespace fulcrum {

TEST(Money, ParsesDecimalPricesExactly) {
  EXPECT_EQ(parse_price_per_mtok("0.14"), 140000);
  EXPECT_EQ(parse_price_per_mtok("0.0028"), 2800);
  EXPECT_EQ(parse_price_per_mtok("0.003625"), 3625);
  EXPECT_EQ(parse_price_per_mtok("2.5"), 2500000);
  EXPECT_EQ(parse_price_per_mtok("10"), 10000000);
  EXPECT_EQ(parse_price_per_mtok("0"), 0);
  EXPECT_EQ(parse_price_per_mtok("1.2500000"), 1250000);  // trailing zeros beyond micro are fine
}

TEST(Money, RejectsMalformedPrices) {
  for (const char* bad : {"", ".", "-1", "1.2.3", "abc", "0.0000001", "1e3", " 1"})
    EXPECT_FALSE(parse_price_per_mtok(bad).has_value()) << bad;
}

TEST(Money, CostOfTokensIsExactInPicoUsd) {
  // 1,000,000 tokens at $0.14 per 1M is exactly $0.14.
  EXPECT_EQ(format_usd(cost_of_tokens(1000000, 140000)), "0.14");
  // One cached token at $0.0028 per 1M is $0.0000000028.
  EXPECT_EQ(format_usd(cost_of_tokens(1, 2800)), "0.0000000028");
  // The article's Flash request: 1,000 in + 200 out at $0.14 / $0.28.
  EXPECT_EQ(format_usd(cost_of_tokens(1000, 140000) + cost_of_tokens(200, 280000)), "0.000196");
}

TEST(Money, FormatsWholeAndZeroAmounts) {
  EXPECT_EQ(format_usd(0), "0.0");
  EXPECT_EQ(format_usd(3'000'000'000'000), "3.0");
  EXPECT_EQ(format_usd(-1'500'000'000'000), "-1.5");
}

}  // namespace fulcrum

namespace fulcrum {

TEST(Money, DollarsForPeopleNeverUseExponents) {
  EXPECT_EQ(format_dollars(2.56148e-06), "0.000002561");
  EXPECT_EQ(format_dollars(0.0000026), "0.0000026");
  EXPECT_EQ(format_dollars(0.00042), "0.00042");
  EXPECT_EQ(format_dollars(0.001305), "0.001305");
  EXPECT_EQ(format_dollars(10), "10");
  EXPECT_EQ(format_dollars(652.5), "652.5");
  EXPECT_EQ(format_dollars(0), "0");
  EXPECT_EQ(format_dollars(-0.00001), "-0.00001");
}

}  // namespace fulcrum
