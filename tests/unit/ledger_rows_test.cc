// The ledger's in-memory parts: packed request rows and the recent-id window.
#include <gtest/gtest.h>

#include <string>

#include "ledger/recent_requests.h"
#include "ledger/request_rows.h"
#include "ledger/schema.h"

namespace fulcrum {
namespace {

RequestRecord record(const std::string& id, const std::string& prompt = "") {
  RequestRecord r;
  r.id = id;
  r.unix_ms = 1800000000123;
  r.key = "team-a";
  r.model_requested = "auto";
  r.tier = "flash";
  r.upstream_model = "deepseek-v4-flash";
  r.reason = "router: 0.2 < 0.38";
  r.stream = true;
  r.status = 200;
  r.attempts = 2;
  r.usage.prompt_tokens = 30;
  r.usage.cache_hit_tokens = 10;
  r.usage.cache_miss_tokens = 20;
  r.usage.completion_tokens = 7;
  r.usage.reasoning_tokens = 3;
  r.cost = 123456789;
  r.ttfb_ms = 1.5;
  r.total_ms = 2.25;
  r.overhead_ms = 0.04;
  r.error = "";
  r.fell_back = true;
  r.answer_usage.prompt_tokens = 15;
  r.answer_usage.cache_hit_tokens = 5;
  r.answer_usage.completion_tokens = 4;
  r.prompt = prompt;
  return r;
}

TEST(RequestRows, EachColumnHoldsItsFieldInTheTablesOrder) {
  static_assert(RequestRows::kColumns == std::size(kRequestColumns));
  RequestRows rows;
  rows.add(record("req_1", "What is 2+2?"));
  auto r2 = record("req_2");
  r2.error = "upstream timed out";
  r2.key = "";
  rows.add(r2);
  ASSERT_EQ(rows.size(), 2u);
  const auto at = [&](std::size_t row, const char* column) {
    for (int c = 0; c < RequestRows::kColumns; ++c)
      if (std::string_view(kRequestColumns[c]) == column) return rows[row].column(c);
    ADD_FAILURE() << "no column " << column;
    return SqlValueView(std::int64_t{-1});
  };
  const auto text = [&](std::size_t row, const char* column) { return std::get<std::string_view>(at(row, column)); };
  const auto integer = [&](std::size_t row, const char* column) { return std::get<std::int64_t>(at(row, column)); };
  EXPECT_EQ(text(0, "id"), "req_1");
  EXPECT_EQ(integer(0, "unix_ms"), 1800000000123);
  EXPECT_EQ(text(0, "api_key"), "team-a");
  EXPECT_EQ(text(0, "model"), "auto");
  EXPECT_EQ(text(0, "tier"), "flash");
  EXPECT_EQ(text(0, "upstream_model"), "deepseek-v4-flash");
  EXPECT_EQ(text(0, "reason"), "router: 0.2 < 0.38");
  EXPECT_EQ(integer(0, "stream"), 1);
  EXPECT_EQ(integer(0, "escalated"), 0);
  EXPECT_EQ(integer(0, "status"), 200);
  EXPECT_EQ(integer(0, "attempts"), 2);
  EXPECT_EQ(integer(0, "prompt_tokens"), 30);
  EXPECT_EQ(integer(0, "cache_hit_tokens"), 10);
  EXPECT_EQ(integer(0, "cache_miss_tokens"), 20);
  EXPECT_EQ(integer(0, "completion_tokens"), 7);
  EXPECT_EQ(integer(0, "reasoning_tokens"), 3);
  EXPECT_EQ(integer(0, "cost_pico_usd"), 123456789);
  EXPECT_EQ(integer(0, "ttfb_us"), 1500);
  EXPECT_EQ(integer(0, "total_us"), 2250);
  EXPECT_EQ(integer(0, "overhead_us"), 40);
  EXPECT_EQ(text(0, "error"), "");
  EXPECT_EQ(integer(0, "fell_back"), 1);
  EXPECT_EQ(integer(0, "answer_prompt_tokens"), 15);
  EXPECT_EQ(integer(0, "answer_cache_hit_tokens"), 5);
  EXPECT_EQ(integer(0, "answer_completion_tokens"), 4);
  EXPECT_EQ(rows[0].id(), "req_1");
  EXPECT_EQ(rows[0].prompt(), "What is 2+2?");
  // The second row's texts start where the first's end.
  EXPECT_EQ(text(1, "id"), "req_2");
  EXPECT_EQ(text(1, "api_key"), "");
  EXPECT_EQ(text(1, "error"), "upstream timed out");
  EXPECT_EQ(rows[1].prompt(), "");
  rows.clear();
  EXPECT_TRUE(rows.empty());
}

TEST(RecentRequests, FindsWhatItKeepsAndForgetsTheOldestFirst) {
  RecentRequests recent(3);
  recent.remember("a", "flash", "k1");
  recent.remember("b", "pro", "k2");
  recent.remember("c", "flash", "");
  ASSERT_NE(recent.find("a"), nullptr);
  EXPECT_EQ(recent.find("b")->target.tier, "pro");
  EXPECT_EQ(recent.find("b")->target.key, "k2");
  recent.find("a")->verdict = FeedbackRecord::Verdict{0.5, std::nullopt};
  recent.remember("a", "pro", "other");  // already kept: left as it is
  EXPECT_EQ(recent.find("a")->target.tier, "flash");
  EXPECT_TRUE(recent.find("a")->verdict);
  recent.remember("d", "pro", "k4");  // full: "a" leaves
  EXPECT_EQ(recent.find("a"), nullptr);
  EXPECT_EQ(recent.find("d")->target.key, "k4");
  EXPECT_FALSE(recent.find("d")->verdict);  // the reused slot's verdict went with "a"
  recent.remember("e", "flash", "k5");
  recent.remember("f", "flash", "k6");
  EXPECT_EQ(recent.find("b"), nullptr);
  EXPECT_EQ(recent.find("c"), nullptr);
  for (const char* id : {"d", "e", "f"}) EXPECT_NE(recent.find(id), nullptr) << id;
  recent.remember("", "flash", "");  // ignored
  EXPECT_EQ(recent.find(""), nullptr);
  EXPECT_NE(recent.find("d"), nullptr);
}

TEST(RecentRequests, LongIdsSurviveTheirSlotsBeingReusedManyTimes) {
  RecentRequests recent(100);
  const auto id = [](int i) { return std::string(44, 'x').append(std::to_string(i)); };
  for (int i = 0; i < 1000; ++i) recent.remember(id(i), std::to_string(i % 7), "k");
  for (int i = 0; i < 900; ++i) EXPECT_EQ(recent.find(id(i)), nullptr) << i;
  for (int i = 900; i < 1000; ++i) {
    const auto* e = recent.find(id(i));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->target.tier, std::to_string(i % 7));
  }
}

}  // namespace
}  // namespace fulcrum
