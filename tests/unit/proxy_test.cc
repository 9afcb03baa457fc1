// The proxy's request path against an in-memory upstream: retries, fallbacks,
// refusals, streaming, a client that leaves and the confidence cascade, with
// no sockets (tests/support/in_memory_upstream.h). The integration tests run
// the same paths over real connections.
#include <cstdlib>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "config/load.h"
#include "proxy/chat_completion.h"
#include "routing/router.h"
#include "support/in_memory_upstream.h"

namespace fulcrum {
namespace {

using testing::InMemoryUpstream;
using testing::RecordingSink;
using testing::ScriptedAnswer;

class LastRecord final : public RequestObserver {
 public:
  void on_request_done(const RequestRecord& r) override { record = r; }
  RequestRecord record;
};

std::string answer(std::string_view text, int prompt_tokens, int completion_tokens, std::string logprobs = "null") {
  return R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":")" +
         std::string(text) + R"("},"logprobs":)" + logprobs + R"(,"finish_reason":"stop"}],"usage":{"prompt_tokens":)" +
         std::to_string(prompt_tokens) + R"(,"completion_tokens":)" + std::to_string(completion_tokens) + "}}";
}

class Proxy : public ::testing::Test {
 protected:
  void configure(const std::string& router_extra = "") {
    setenv("FULCRUM_PROXY_TEST_KEY", "sk-upstream", 1);
    auto loaded = load_config_text(
        "providers:\n"
        "  up:\n"
        "    base_url: http://upstream.test/v1\n"
        "    api_key_env: FULCRUM_PROXY_TEST_KEY\n"
        "    retries: {max: 1, backoff_ms: 1}\n"
        "tiers:\n"
        "  flash: {provider: up, model: fake-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}, fallback: [pro]}\n"
        "  pro: {provider: up, model: fake-pro, price: {input: 2.5, output: 10}}\n"
        "router:\n"
        "  default: flash\n" +
            router_extra,
        "proxy_test.yaml");
    ASSERT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0]);
    state_.config = loaded.config;
    state_.credentials = Credentials::from_environment(*state_.config);
    state_.stats = std::make_unique<TierStats>(*state_.config);
    auto router = build_router(state_.config, state_.stats.get());
    ASSERT_TRUE(router) << router.error().message;
    state_.router = std::move(router.value());
    state_.health = std::make_unique<TierHealth>(*state_.config);
    state_.observer = &observer_;
  }

  void SetUp() override { configure(); }

  // One request through serve_chat_completion, run to its end.
  RecordingSink& send(std::string body) {
    body_ = std::move(body);
    boost::asio::io_context io;
    HttpRequest request{"POST", "/v1/chat/completions", body_, [](std::string_view) { return std::string_view(); }};
    boost::asio::co_spawn(io, serve_chat_completion(state_, upstream_, request, sink_), boost::asio::detached);
    io.run();
    return sink_;
  }

  static std::string chat(bool stream = false) {
    return std::string(R"({"model":"flash","messages":[{"role":"user","content":"hello"}])") +
           (stream ? R"(,"stream":true})" : "}");
  }

  std::vector<std::string> models_sent() const {
    std::vector<std::string> out;
    for (const auto& s : upstream_.sent) out.push_back(s.model());
    return out;
  }

  GatewayState state_;
  InMemoryUpstream upstream_;
  RecordingSink sink_;
  LastRecord observer_;
  std::string body_;
};

TEST_F(Proxy, AWholeAnswerIsRelayedAndPricedFromItsUsage) {
  upstream_.script("fake-flash", {ScriptedAnswer::json(200, answer("hi", 1000, 500))});
  const auto& out = send(chat());
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.body.find(R"("content":"hi")"), std::string::npos) << out.body;
  EXPECT_EQ(out.header("x-fulcrum-tier"), "flash");
  // 1000 x $0.14/M + 500 x $0.28/M
  EXPECT_EQ(out.header("x-fulcrum-cost-usd"), "0.00028");
  ASSERT_EQ(upstream_.sent.size(), 1u);
  EXPECT_EQ(upstream_.sent[0].provider, "up");
  EXPECT_EQ(upstream_.sent[0].request.target, "/v1/chat/completions");
  EXPECT_EQ(upstream_.sent[0].request.bearer, "sk-upstream");
  EXPECT_EQ(observer_.record.status, 200);
  EXPECT_EQ(observer_.record.attempts, 1);
  EXPECT_EQ(observer_.record.usage.prompt_tokens, 1000);
  EXPECT_FALSE(observer_.record.fell_back);
}

TEST_F(Proxy, AFailingTierIsRetriedThenItsFallbackAnswers) {
  upstream_.script("fake-flash", {ScriptedAnswer::json(503, R"({"error":{"message":"busy"}})")});
  upstream_.script("fake-pro", {ScriptedAnswer::json(200, answer("from pro", 10, 5))});
  const auto& out = send(chat());
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.header("x-fulcrum-tier"), "pro");
  EXPECT_EQ(models_sent(), (std::vector<std::string>{"fake-flash", "fake-flash", "fake-pro"})) << "one retry, then the fallback";
  EXPECT_TRUE(observer_.record.fell_back);
  EXPECT_EQ(observer_.record.attempts, 3);
  EXPECT_NE(observer_.record.reason.find("fell back to pro"), std::string::npos) << observer_.record.reason;
}

TEST_F(Proxy, AnUnreachableTierFallsBackWithoutAnAnswer) {
  ScriptedAnswer down;
  down.start_error = make_error(Errc::upstream_unreachable, "connection refused");
  upstream_.script("fake-flash", {down});
  upstream_.script("fake-pro", {ScriptedAnswer::json(200, answer("ok", 10, 5))});
  EXPECT_EQ(send(chat()).status, 200);
  EXPECT_EQ(models_sent(), (std::vector<std::string>{"fake-flash", "fake-flash", "fake-pro"}));
  EXPECT_NE(observer_.record.reason.find("connection refused"), std::string::npos) << observer_.record.reason;
}

TEST_F(Proxy, ARequestTheUpstreamRefusesIsNeitherRetriedNorMoved) {
  upstream_.script("fake-flash", {ScriptedAnswer::json(400, R"({"error":{"message":"bad temperature"}})")});
  const auto& out = send(chat());
  EXPECT_EQ(out.status, 400);
  EXPECT_NE(out.body.find("bad temperature"), std::string::npos) << out.body;
  EXPECT_EQ(models_sent(), std::vector<std::string>{"fake-flash"});
  EXPECT_EQ(observer_.record.status, 400);
}

TEST_F(Proxy, AStreamIsRelayedEventByEventAndItsUsageCounted) {
  upstream_.script("fake-flash",
                   {ScriptedAnswer::events({R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})",
                                            R"({"choices":[{"index":0,"delta":{"content":"lo"}}],"usage":{"prompt_tokens":7,"completion_tokens":2}})",
                                            "[DONE]"})});
  const auto& out = send(chat(true));
  EXPECT_EQ(out.status, 200);
  EXPECT_TRUE(out.streamed);
  EXPECT_TRUE(out.ended);
  EXPECT_NE(out.body.find("Hel"), std::string::npos);
  EXPECT_NE(out.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(observer_.record.usage.prompt_tokens, 7);
  EXPECT_EQ(observer_.record.usage.completion_tokens, 2);
  EXPECT_TRUE(observer_.record.stream);
}

TEST_F(Proxy, AClientThatLeavesMidStreamEndsTheUpstreamCall) {
  std::vector<std::string> events;
  for (int i = 0; i < 50; ++i) events.push_back(R"({"choices":[{"index":0,"delta":{"content":"x"}}]})");
  upstream_.script("fake-flash", {ScriptedAnswer::events(events)});
  sink_.close_after_writes = 1;
  send(chat(true));
  EXPECT_EQ(observer_.record.status, 499);
  EXPECT_LT(sink_.body.size(), 50u * 20) << "the relay stopped when the client left";
  EXPECT_EQ(upstream_.sent.size(), 1u) << "a client that left is not retried for";
}

TEST_F(Proxy, TheCascadeEscalatesALowConfidenceAnswer) {
  configure("  policies:\n    - {type: cascade, cheap: flash, strong: pro, signal: first_token, threshold: -0.5}\n");
  const std::string unsure = R"({"content":[{"token":"hi","logprob":-3.0,"top_logprobs":[]}]})";
  upstream_.script("fake-flash", {ScriptedAnswer::json(200, answer("maybe", 100, 10, unsure))});
  upstream_.script("fake-pro", {ScriptedAnswer::json(200, answer("surely", 100, 10))});
  boost::json::object body = boost::json::parse(chat()).as_object();
  body["model"] = "auto";
  const auto& out = send(boost::json::serialize(body));
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.body.find("surely"), std::string::npos) << out.body;
  EXPECT_EQ(out.header("x-fulcrum-escalated"), "true");
  EXPECT_EQ(models_sent(), (std::vector<std::string>{"fake-flash", "fake-pro"}));
  EXPECT_TRUE(observer_.record.escalated);
  // Both calls are billed: 100 x 0.14 + 10 x 0.28 (flash) + 100 x 2.5 + 10 x 10 (pro), per million.
  EXPECT_EQ(observer_.record.cost, cost_of_tokens(100, 140000) + cost_of_tokens(10, 280000) +
                                       cost_of_tokens(100, 2500000) + cost_of_tokens(10, 10000000));
}

TEST_F(Proxy, TheCascadeKeepsAConfidentAnswer) {
  configure("  policies:\n    - {type: cascade, cheap: flash, strong: pro, signal: first_token, threshold: -0.5}\n");
  const std::string sure = R"({"content":[{"token":"hi","logprob":-0.01,"top_logprobs":[]}]})";
  upstream_.script("fake-flash", {ScriptedAnswer::json(200, answer("sure", 100, 10, sure))});
  boost::json::object body = boost::json::parse(chat()).as_object();
  body["model"] = "auto";
  const auto& out = send(boost::json::serialize(body));
  EXPECT_EQ(out.header("x-fulcrum-escalated"), "false");
  EXPECT_EQ(models_sent(), std::vector<std::string>{"fake-flash"});
  EXPECT_EQ(out.body.find(R"("logprobs":{)"), std::string::npos) << "logprobs the client did not ask for are dropped";
}

}  // namespace
}  // namespace fulcrum
