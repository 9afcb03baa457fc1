// The order and pacing of a request's upstream calls, decided without making any.
#include "proxy/attempt_plan.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "config/load.h"

namespace fulcrum {
namespace {

using Move = AttemptPlan::Move;
using std::chrono::milliseconds;

class AttemptPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("FULCRUM_PLAN_TEST_KEY", "k", 1);
    auto loaded = load_config_text(
        "providers:\n"
        "  up: {base_url: http://up.test/v1, api_key_env: FULCRUM_PLAN_TEST_KEY,"
        " retries: {max: 3, backoff_ms: 100, max_backoff_ms: 250}}\n"
        "  keyless: {base_url: http://other.test/v1, api_key_env: FULCRUM_PLAN_UNSET_KEY}\n"
        "tiers:\n"
        "  flash: {provider: up, model: f, price: {input: 0.14, output: 0.28}, context_tokens: 1000, fallback: [pro]}\n"
        "  pro: {provider: up, model: p, price: {input: 2.5, output: 10}, context_tokens: 1000}\n"
        "  long: {provider: up, model: l, price: {input: 1, output: 2}, context_tokens: 100000}\n"
        "  longer: {provider: up, model: l2, price: {input: 3, output: 4}, context_tokens: 1000000}\n"
        "  locked: {provider: keyless, model: x, price: {input: 0.01, output: 0.01}, context_tokens: 1000000}\n"
        "router: {default: flash}\n",
        "plan.yaml");
    ASSERT_TRUE(loaded.config) << loaded.errors.front();
    config_ = loaded.config;
    credentials_ = Credentials::from_environment(*config_);
  }
  std::size_t tier(const std::string& name) const { return *config_->tier_index(name); }
  AttemptPlan plan(std::vector<std::string> names, const std::string& chosen = "flash") const {
    std::vector<std::size_t> tiers;
    for (const auto& n : names) tiers.push_back(tier(n));
    return AttemptPlan(*config_, credentials_, tier(chosen), tiers);
  }
  static Error status(int code, std::string body = "") {
    Error e = make_error(Errc::upstream_status, "HTTP " + std::to_string(code));
    e.upstream_status = code;
    e.upstream_body = std::move(body);
    return e;
  }

  ConfigPtr config_;
  Credentials credentials_;
};

TEST_F(AttemptPlanTest, RetriesWithDoublingCappedBackoffThenFallsBack) {
  auto p = plan({"flash", "pro"});
  EXPECT_EQ(p.first().tier, tier("flash"));
  EXPECT_EQ(p.first().move, Move::first);
  std::vector<milliseconds> delays;
  std::optional<AttemptPlan::Step> step;
  while ((step = p.after_failure(status(503))) && step->move == Move::retry) delays.push_back(step->delay);
  EXPECT_EQ(delays, (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(250)}));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->tier, tier("pro"));
  EXPECT_EQ(step->move, Move::fallback);
  ASSERT_NE(step->after, nullptr);
  EXPECT_EQ(step->after->upstream_status, 503);
  EXPECT_EQ(p.after_failure(status(503))->move, Move::retry) << "the fallback has retries of its own";
}

TEST_F(AttemptPlanTest, RetryAfterIsBelievedUpToMaxBackoffAndALongerOneMovesOn) {
  auto p = plan({"flash", "pro"});
  auto slow = status(429);
  slow.retry_after_s = 0;
  EXPECT_EQ(p.after_failure(slow)->delay, milliseconds(100));
  auto later = status(429);
  later.retry_after_s = 60;
  const auto step = p.after_failure(later);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->move, Move::fallback);
  EXPECT_EQ(step->tier, tier("pro"));
}

TEST_F(AttemptPlanTest, ARefusedRequestEndsAndAMissingKeyMovesOnAtOnce) {
  EXPECT_FALSE(plan({"flash", "pro"}).after_failure(status(400, "temperature out of range")));
  EXPECT_FALSE(plan({"flash", "pro"}).after_failure(make_error(Errc::client_closed, "gone")));
  auto p = plan({"flash", "pro"});
  const auto step = p.after_failure(make_error(Errc::missing_api_key, "no key"));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->move, Move::fallback);
  EXPECT_EQ(p.after_failure(status(500))->move, Move::retry) << "the fallback retries as usual";
}

TEST_F(AttemptPlanTest, ATooLongPromptMovesToTheCheapestLongerWindowWithAKey) {
  auto p = plan({"flash", "pro"});
  const auto step = p.after_failure(status(400, R"({"error":{"code":"context_length_exceeded"}})"));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->move, Move::longer_window);
  EXPECT_EQ(step->tier, tier("long")) << "cheaper than longer; locked has no key";
  EXPECT_EQ(step->from, tier("flash"));
  // Too long for `long` as well: the next longer one, then nothing.
  const auto again = p.after_failure(status(400, "maximum context length is 100000 tokens"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tier, tier("longer"));
  EXPECT_FALSE(p.after_failure(status(400, "maximum context length is 1000000 tokens")));
}

TEST_F(AttemptPlanTest, AChosenTierCoolingDownIsTriedLast) {
  auto p = plan({"pro", "flash"}, "flash");
  EXPECT_EQ(p.first().tier, tier("pro"));
  EXPECT_EQ(p.first().move, Move::fallback);
  EXPECT_EQ(p.first().after, nullptr) << "no failure: the chosen tier is cooling down";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(p.after_failure(status(502))->move, Move::retry);
  const auto step = p.after_failure(status(502));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->tier, tier("flash"));
  EXPECT_EQ(step->move, Move::cooled_down_last);
}

TEST_F(AttemptPlanTest, AnEscalationGoesToTheStrongTierWithNoFailureToReport) {
  auto p = plan({"flash", "pro"});
  const auto step = p.after_escalation();
  ASSERT_TRUE(step);
  EXPECT_EQ(step->tier, tier("pro"));
  EXPECT_EQ(step->move, Move::escalation);
  EXPECT_EQ(step->after, nullptr);
  EXPECT_FALSE(p.after_escalation()) << "nothing after the strong tier";
}

}  // namespace
}  // namespace fulcrum
