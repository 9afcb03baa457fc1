// Gateway keys, budgets, rate limits, the response cache and the Redis state
// store, through the in-process gateway with the same service stack as
// `fulcrum serve`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include "harness.h"
#include "redis_server.h"
#include "state/admission.h"

namespace fulcrum::testing {
namespace {

const std::string kChat = R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})";

std::string keys_yaml() {
  return "ledger: {path: null}\n"
         "keys:\n"
         "  team-a: {sha256: " + sha256_hex("sk-team-a") + ", requests_per_minute: 2}\n"
         "  team-b: {sha256: " + sha256_hex("sk-team-b") + ", daily_budget_usd: 0.00001, default_max_tokens: 16}\n"
         "  team-c: {sha256: " + sha256_hex("sk-team-c") + ", tokens_per_minute: 5}\n"
         "  team-d: {sha256: " + sha256_hex("sk-team-d") + "}\n";
}

HarnessOptions ops_options(std::string top) {
  HarnessOptions o;
  o.top_extra = std::move(top);
  o.operations = true;
  return o;
}

std::map<std::string, std::string> bearer(const std::string& key) { return {{"authorization", "Bearer " + key}}; }

std::string error_code(const HttpResult& r) {
  return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
}

TEST(Keys, MissingOrUnknownKeysGet401WithoutEchoingTheKey) {
  Harness h(ops_options(keys_yaml()));
  auto r = h.chat(kChat);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "invalid_api_key");
  r = h.chat(kChat, bearer("sk-wrong-secret-123"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body.find("sk-wrong"), std::string::npos) << r.body;
  r = h.chat(kChat, bearer("sk-team-d"));
  EXPECT_EQ(r.status, 200) << r.body;
  auto records = h.observer().wait_for(3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].key, "team-d");
  EXPECT_EQ(records[0].status, 401);
  // The models list and health stay open; feedback needs a key like the chat does.
  EXPECT_EQ(http_call(h.port(), "GET", "/v1/models").status, 200);
  const std::string fb = R"({"request_id":")" + records[2].id + R"(","score":1})";
  EXPECT_EQ(http_call(h.port(), "POST", "/v1/feedback", fb).status, 401);
  EXPECT_EQ(http_call(h.port(), "POST", "/v1/feedback", fb, bearer("sk-team-d")).status, 503) << "the ledger is off here";
}

TEST(Keys, UpstreamKeysNeverShowInMetricsDashboardOrErrors) {
  Harness h(ops_options("ledger: {path: null}\n"));
  // The upstream saw the provider's key; nothing fulcrum shows carries it.
  ASSERT_EQ(h.chat(kChat).status, 200);
  ASSERT_EQ(h.fake().requests().back().authorization, "Bearer sk-test-secret");
  const auto upstream_fail = h.chat(R"({"model":"flash","messages":[{"role":"user","content":"x"}],"fake":{"status":401,"error_body":"bad key"}})");
  const auto dead = h.chat(R"({"model":"dead","messages":[{"role":"user","content":"x"}]})");
  for (const auto& text : {http_call(h.port(), "GET", "/metrics").body, upstream_fail.body, dead.body,
                           http_call(h.port(), "GET", "/readyz").body})
    EXPECT_EQ(text.find("sk-test-secret"), std::string::npos) << text;
  for (const auto& r : h.observer().wait_for(3))
    EXPECT_EQ(r.error.find("sk-test-secret"), std::string::npos) << r.error;
}

TEST(Keys, RequestsPerMinuteLimitAnswers429NamingTheLimit) {
  Harness h(ops_options(keys_yaml()));
  // At most 2 a minute: of 5 quick requests at most 4 pass (if a minute
  // boundary falls between them), and at least one is refused.
  int ok = 0, limited = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = h.chat(kChat, bearer("sk-team-a"));
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(error_code(r), "rate_limit_exceeded");
      EXPECT_NE(r.body.find("requests_per_minute 2"), std::string::npos) << r.body;
    }
  }
  EXPECT_LE(ok, 4);
  EXPECT_GE(limited, 1);
}

TEST(Keys, DailyBudgetHoldsEachRequestsWorstCaseAndSettlesItsRealCost) {
  Harness h(ops_options(keys_yaml()));
  // team-b: $0.00001 a day. kChat may cost up to 21 prompt tokens (its 61-byte body, 3 to a token) and
  // 16 completion tokens (the key's default_max_tokens) at flash prices: $0.00000742. It really costs
  // $0.0000028 (10 + 5 tokens), which is what stays spent.
  auto first = h.chat(kChat, bearer("sk-team-b"));
  ASSERT_EQ(first.status, 200) << first.body;
  auto r = h.chat(kChat, bearer("sk-team-b"));  // 2.8 spent + 7.42 held > 10
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(error_code(r), "budget_exceeded");
  EXPECT_NE(r.body.find("daily budget of $0.00001"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("may cost up to $0.00000742"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("max_tokens 16"), std::string::npos) << r.body;
  // A smaller max_tokens shrinks the hold: 26 x 0.14 + 1 x 0.28 = $0.00000392 fits twice more.
  const std::string small = R"({"model":"flash","max_tokens":1,"messages":[{"role":"user","content":"hi"}]})";
  EXPECT_EQ(h.chat(small, bearer("sk-team-b")).status, 200);
  EXPECT_EQ(h.chat(small, bearer("sk-team-b")).status, 200);  // 5.6 spent + 3.92 held <= 10
  EXPECT_EQ(h.chat(small, bearer("sk-team-b")).status, 429);  // 8.4 spent + 3.92 held > 10
  EXPECT_EQ(h.chat(kChat, bearer("sk-team-d")).status, 200) << "other keys are unaffected";
  EXPECT_EQ(h.fake().requests().size(), 4u) << "refused requests never reach the upstream";
}

TEST(Keys, TokensPerMinuteCountsThePromptUpFront) {
  Harness h(ops_options(keys_yaml()));
  const std::string long_prompt(200, 'x');  // about 50 tokens, over the limit of 5
  auto r = h.chat(R"({"model":"flash","messages":[{"role":"user","content":")" + long_prompt + R"("}]})",
                  bearer("sk-team-c"));
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("tokens_per_minute 5"), std::string::npos) << r.body;
  EXPECT_TRUE(h.fake().requests().empty()) << "refused before any upstream call";
}

TEST(Cache, DeterministicRequestsHitTheCacheAndCostNothing) {
  Harness h(ops_options("ledger: {path: null}\n"));
  const std::string body = R"({"model":"flash","temperature":0,"messages":[{"role":"user","content":"2+2?"}]})";
  auto first = h.chat(body);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("x-fulcrum-cache"), "miss");
  EXPECT_EQ(first.header("x-fulcrum-cost-usd"), "0.0000028");
  // The same request with its keys in another order and different metadata.
  auto second = h.chat(R"({"messages":[{"role":"user","content":"2+2?"}],"metadata":{"who":"x"},"temperature":0,"model":"flash"})");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.header("x-fulcrum-cache"), "hit");
  EXPECT_EQ(second.header("x-fulcrum-cost-usd"), "0");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(h.fake().requests().size(), 1u);
  auto records = h.observer().wait_for(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[1].cache_hit);
  EXPECT_EQ(records[1].cost, 0);

  // Another tier, a sampled request, a stream and an explicit opt-out all miss the cache.
  EXPECT_EQ(h.chat(R"({"model":"pro","temperature":0,"messages":[{"role":"user","content":"2+2?"}]})").header("x-fulcrum-cache"), "miss");
  EXPECT_EQ(h.chat(R"({"model":"flash","temperature":0.7,"messages":[{"role":"user","content":"2+2?"}]})").header("x-fulcrum-cache"), "");
  EXPECT_EQ(h.chat(R"({"model":"flash","stream":true,"temperature":0,"messages":[{"role":"user","content":"2+2?"}]})").header("x-fulcrum-cache"), "");
  EXPECT_EQ(h.chat(body, {{"x-fulcrum-cache", "off"}}).header("x-fulcrum-cache"), "");
  // Opting in caches a sampled request.
  const std::string sampled = R"({"model":"flash","temperature":0.7,"messages":[{"role":"user","content":"poem"}]})";
  EXPECT_EQ(h.chat(sampled, {{"x-fulcrum-cache", "on"}}).header("x-fulcrum-cache"), "miss");
  EXPECT_EQ(h.chat(sampled, {{"x-fulcrum-cache", "on"}}).header("x-fulcrum-cache"), "hit");
}

TEST(Cache, ErrorsAreNeverCached) {
  Harness h(ops_options("ledger: {path: null}\n"));
  const std::string body = R"({"model":"pro","temperature":0,"messages":[{"role":"user","content":"x"}],"fake":{"status":400}})";
  EXPECT_EQ(h.chat(body).status, 400);
  EXPECT_EQ(h.chat(body).status, 400);
  EXPECT_EQ(h.fake().requests().size(), 2u);
}

std::string redis_yaml(const std::string& url, const std::string& on_error) {
  return keys_yaml() + "state: {url: \"" + url + "\", on_error: " + on_error + ", timeout_ms: 200, retry_ms: 50}\n";
}

TEST(Redis, TwoReplicasEnforceOneBudget) {
  RedisServer redis;
  Harness a(ops_options(redis_yaml(redis.url(), "fail_open")));
  Harness b(ops_options(redis_yaml(redis.url(), "fail_open")));
  EXPECT_EQ(a.chat(kChat, bearer("sk-team-b")).status, 200) << "leaves too little for another on replica A";
  auto r = b.chat(kChat, bearer("sk-team-b"));
  EXPECT_EQ(r.status, 429) << "replica B sees A's spend: " << r.body;
  EXPECT_EQ(error_code(r), "budget_exceeded");
  // The cache is shared too.
  const std::string det = R"({"model":"flash","temperature":0,"messages":[{"role":"user","content":"shared"}]})";
  EXPECT_EQ(a.chat(det, bearer("sk-team-d")).header("x-fulcrum-cache"), "miss");
  EXPECT_EQ(b.chat(det, bearer("sk-team-d")).header("x-fulcrum-cache"), "hit");
}

TEST(Redis, DownFollowsTheConfiguredModeAndRecovers) {
  RedisServer redis;
  Harness open(ops_options(redis_yaml(redis.url(), "fail_open")));
  Harness closed(ops_options(redis_yaml(redis.url(), "fail_closed")));
  EXPECT_EQ(open.chat(kChat, bearer("sk-team-a")).status, 200);
  EXPECT_EQ(closed.chat(kChat, bearer("sk-team-a")).status, 200);
  redis.stop();
  EXPECT_EQ(open.chat(kChat, bearer("sk-team-d")).status, 200) << "keys without limits need no store";
  EXPECT_EQ(open.chat(kChat, bearer("sk-team-b")).status, 200) << "fail_open: let through";
  auto r = closed.chat(kChat, bearer("sk-team-b"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(error_code(r), "service_unavailable");
  auto metrics = http_call(closed.port(), "GET", "/metrics", "", bearer("sk-team-d")).body;
  EXPECT_NE(metrics.find("\nfulcrum_state_store_up 0\n"), std::string::npos);
  EXPECT_EQ(metrics.find("\nfulcrum_state_store_errors_total 0\n"), std::string::npos);
  redis.start();
  // Back after retry_ms: wait on the condition, not a fixed time.
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = closed.chat(kChat, bearer("sk-team-b")).status;
    if (status != 200) usleep(10000);
  }
  EXPECT_EQ(status, 200) << "recovered when Redis came back (a fresh Redis has no spend)";
  metrics = http_call(closed.port(), "GET", "/metrics", "", bearer("sk-team-d")).body;
  EXPECT_NE(metrics.find("\nfulcrum_state_store_up 1\n"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum::testing
