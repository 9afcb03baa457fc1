// A provider of type anthropic: fulcrum sends Anthropic Messages requests
// (x-api-key, anthropic-version, /v1/messages) and reads the answers back as
// chat completions, whole and streamed, priced from Messages usage; the fake
// upstream answers in Messages form.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

namespace fulcrum::testing {
namespace {

namespace json = boost::json;

HarnessOptions with_messages_tier(bool operations = false) {
  HarnessOptions o;
  o.operations = operations;
  if (operations) o.top_extra = "ledger: {path: null}\n";
  o.more_providers = "  claude:\n    type: anthropic\n    base_url: \"{FAKE}\"\n    api_key_env: FULCRUM_TEST_KEY\n"
                     "    retries: {max: 0}\n";
  // $3 / $0.30 / $15 per 1M: 12 input, 4 cache reads and 6 output tokens cost
  // 12 x 3 + 4 x 0.3 + 6 x 15 = 127.2 micro-USD.
  o.more_tiers = "  sonnet:\n    provider: claude\n    model: claude-sonnet\n"
                 "    price: {input: 3, cached_input: 0.3, output: 15}\n    fallback: [flash]\n"
                 "  haiku:\n    provider: claude\n    model: claude-haiku\n    price: {input: 1, output: 5}\n";
  return o;
}

TEST(AnthropicUpstream, AWholeAnswerComesBackAsAChatCompletionPricedFromItsUsage) {
  Harness h(with_messages_tier());
  auto r = h.chat(R"({"model":"sonnet","messages":[{"role":"system","content":"be brief"},)"
                  R"({"role":"user","content":"hi"}],"temperature":0.2,"logprobs":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto chat = json::parse(r.body).as_object();
  EXPECT_EQ(chat.at("object").as_string(), "chat.completion");
  EXPECT_EQ(chat.at("choices").at(0).at("message").at("content").as_string(), "Hello from fake messages");
  EXPECT_EQ(chat.at("choices").at(0).at("finish_reason").as_string(), "stop");
  EXPECT_EQ(chat.at("usage").at("prompt_tokens").as_int64(), 16);
  EXPECT_EQ(chat.at("usage").at("prompt_cache_hit_tokens").as_int64(), 4);
  EXPECT_EQ(chat.at("usage").at("completion_tokens").as_int64(), 6);
  EXPECT_EQ(r.header("x-fulcrum-cost-usd"), "0.0001272");
  EXPECT_EQ(r.header("x-fulcrum-tier"), "sonnet");

  // What the upstream received: a Messages request.
  const auto sent = h.fake().requests().back();
  EXPECT_EQ(sent.target, "/v1/messages");
  EXPECT_EQ(sent.authorization, "sk-test-secret") << "the key goes as x-api-key";
  auto body = json::parse(sent.body).as_object();
  EXPECT_EQ(body.at("model").as_string(), "claude-sonnet");
  EXPECT_EQ(body.at("system").as_string(), "be brief");
  EXPECT_EQ(body.at("messages").at(0).at("role").as_string(), "user");
  EXPECT_EQ(body.at("messages").at(0).at("content").at(0).at("text").as_string(), "hi");
  EXPECT_EQ(body.at("max_tokens").as_int64(), 8192) << "Messages requires max_tokens";
  EXPECT_EQ(body.at("temperature").as_double(), 0.2);
  EXPECT_FALSE(body.contains("logprobs")) << "Messages has none: not sent";
}

TEST(AnthropicUpstream, AStreamComesBackAsChatChunksWithUsage) {
  Harness h(with_messages_tier());
  auto r = h.chat(R"({"model":"sonnet","stream":true,"stream_options":{"include_usage":true},)"
                  R"("messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string text;
  bool done = false, finished = false;
  std::int64_t prompt = -1, completion = -1;
  for (const auto& data : sse_data(r.body)) {
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    auto c = json::parse(data).as_object();
    EXPECT_EQ(c.at("object").as_string(), "chat.completion.chunk");
    if (const auto* u = c.if_contains("usage"); u && u->is_object()) {
      prompt = u->at("prompt_tokens").as_int64();
      completion = u->at("completion_tokens").as_int64();
    }
    for (const auto& ch : c.at("choices").as_array()) {
      const auto& delta = ch.at("delta").as_object();
      if (const auto* t = delta.if_contains("content")) text += std::string(t->as_string());
      if (!ch.at("finish_reason").is_null()) finished = ch.at("finish_reason").as_string() == "stop";
    }
  }
  EXPECT_EQ(text, "Hello from fake messages");
  EXPECT_TRUE(finished);
  EXPECT_TRUE(done);
  EXPECT_EQ(prompt, 16);
  EXPECT_EQ(completion, 6);
  EXPECT_NE(r.body.find("\"cost_usd\":\"0.0001272\""), std::string::npos) << r.body;
}

TEST(AnthropicUpstream, ToolCallsRoundTripBothWays) {
  Harness h(with_messages_tier());
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"weather","description":"the weather",)"
                            R"("parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";
  auto r = h.chat(R"({"model":"sonnet",)" + tools + R"(,"tool_choice":"required",)"
                  R"("messages":[{"role":"user","content":"weather in Paris?"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto chat = json::parse(r.body).as_object();
  const auto& message = chat.at("choices").at(0).at("message");
  EXPECT_EQ(chat.at("choices").at(0).at("finish_reason").as_string(), "tool_calls");
  EXPECT_EQ(message.at("tool_calls").at(0).at("id").as_string(), "toolu_fake");
  EXPECT_EQ(message.at("tool_calls").at(0).at("function").at("name").as_string(), "weather");
  EXPECT_EQ(json::parse(message.at("tool_calls").at(0).at("function").at("arguments").as_string()).at("city").as_string(), "Paris");
  auto sent = json::parse(h.fake().requests().back().body).as_object();
  EXPECT_EQ(sent.at("tools").at(0).at("name").as_string(), "weather");
  EXPECT_EQ(sent.at("tools").at(0).at("input_schema").at("type").as_string(), "object");
  EXPECT_EQ(sent.at("tool_choice").at("type").as_string(), "any");

  // The next step: the tool call and its result go back as tool_use and tool_result blocks.
  auto next = h.chat(R"({"model":"sonnet",)" + tools + R"(,"messages":[{"role":"user","content":"weather in Paris?"},)"
                     R"({"role":"assistant","content":null,"tool_calls":[{"id":"toolu_fake","type":"function",)"
                     R"("function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},)"
                     R"({"role":"tool","tool_call_id":"toolu_fake","content":"sunny"}]})");
  ASSERT_EQ(next.status, 200) << next.body;
  sent = json::parse(h.fake().requests().back().body).as_object();
  const auto& msgs = sent.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1].at("role").as_string(), "assistant");
  EXPECT_EQ(msgs[1].at("content").at(0).at("type").as_string(), "tool_use");
  EXPECT_EQ(msgs[1].at("content").at(0).at("input").at("city").as_string(), "Paris");
  EXPECT_EQ(msgs[2].at("role").as_string(), "user");
  EXPECT_EQ(msgs[2].at("content").at(0).at("type").as_string(), "tool_result");
  EXPECT_EQ(msgs[2].at("content").at(0).at("tool_use_id").as_string(), "toolu_fake");
  EXPECT_EQ(msgs[2].at("content").at(0).at("content").as_string(), "sunny");

  // Streamed, the tool call arrives as tool_calls deltas.
  auto streamed = h.chat(R"({"model":"sonnet","stream":true,)" + tools + R"(,"tool_choice":"required",)"
                         R"("messages":[{"role":"user","content":"weather in Paris?"}]})");
  ASSERT_EQ(streamed.status, 200);
  std::string name, arguments;
  for (const auto& data : sse_data(streamed.body)) {
    if (data == "[DONE]") continue;
    const auto chunk = json::parse(data);  // kept: a range-for over a temporary's member dangles
    for (const auto& ch : chunk.at("choices").as_array())
      if (const auto* calls = ch.at("delta").as_object().if_contains("tool_calls"))
        for (const auto& c : calls->as_array()) {
          const auto& fn = c.at("function").as_object();
          if (const auto* n = fn.if_contains("name")) name += std::string(n->as_string());
          if (const auto* a = fn.if_contains("arguments")) arguments += std::string(a->as_string());
        }
  }
  EXPECT_EQ(name, "weather");
  EXPECT_EQ(json::parse(arguments).at("city").as_string(), "Paris");
}

TEST(AnthropicUpstream, AnUpstreamErrorFallsBackToAnOpenAiTier) {
  Harness h(with_messages_tier());
  auto r = h.chat(R"({"model":"sonnet","messages":[{"role":"user","content":"hi [status 529]"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "flash") << "the Messages upstream's 529 moved it to its fallback";
  EXPECT_EQ(h.fake().requests().back().target, "/v1/chat/completions");
}

TEST(AnthropicUpstream, AnUpstreamErrorWithNoFallbackReachesTheClientInOpenAisShape) {
  Harness h(with_messages_tier());
  auto r = h.chat(R"({"model":"haiku","messages":[{"role":"user","content":"hi [status 529]"}]})");
  EXPECT_EQ(r.status, 529) << r.body;
  auto body = json::parse(r.body).as_object();
  EXPECT_FALSE(body.contains("type")) << r.body;
  EXPECT_EQ(body.at("error").at("message").as_string(), "fake Messages upstream error");
  EXPECT_EQ(body.at("error").at("type").as_string(), "overloaded_error");
}

}  // namespace
}  // namespace fulcrum::testing
