#include "openai/chat_request.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace fulcrum {

TEST(ChatRequest, RejectsBadBodiesNamingTheField) {
  struct Case { const char* body; Errc code; const char* param; };
  const Case cases[] = {
      {"{not json", Errc::invalid_json, ""},
      {"[1,2]", Errc::invalid_request, ""},
      {R"({"model":"x"})", Errc::invalid_request, "messages"},
      {R"({"messages":[]})", Errc::invalid_request, "messages"},
      {R"({"messages":"hi"})", Errc::invalid_request, "messages"},
      {R"({"messages":[1]})", Errc::invalid_request, "messages[0]"},
      {R"({"messages":[{"content":"x"}]})", Errc::invalid_request, "messages[0].role"},
      {R"({"messages":[{"role":"user"}],"model":5})", Errc::invalid_request, "model"},
      {R"({"messages":[{"role":"user"}],"stream":"yes"})", Errc::invalid_request, "stream"},
  };
  for (const auto& c : cases) {
    auto r = parse_chat_request(c.body);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
  }
}

TEST(ChatRequest, RefusesANumberBeyondADoubleRatherThanForwardInfinity) {
  // Boost.JSON reads 1e999 as infinity and would write it back as `Infinity`,
  // which is not JSON: the provider would get a broken body (found by fuzzing).
  for (const char* body : {R"({"messages":[{"role":"user","content":"x"}],"temperature":1e999})",
                           R"({"messages":[{"role":"user","content":[1,-1111111e115555]}]})",
                           R"({"messages":[{"role":"user","content":"x"}],"metadata":{"a":{"b":[1e400]}}})"}) {
    auto r = parse_chat_request(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Errc::invalid_json) << body;
    EXPECT_NE(r.error().message.find("too large"), std::string::npos) << r.error().message;
  }
  auto fine = parse_chat_request(R"({"messages":[{"role":"user","content":"x"}],"temperature":1.7e308})");
  ASSERT_TRUE(fine);
  EXPECT_TRUE(boost::json::parse(build_upstream_body(*fine, Tier{})).is_object());
}

TEST(ChatRequest, ReadsModelStreamAndUsageOption) {
  auto r = parse_chat_request(R"({"model":"auto","stream":true,"stream_options":{"include_usage":true},
    "messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hello"}]}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->model, "auto");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->client_wants_usage);
  EXPECT_EQ(r->prompt_text(), "be brief\nhello\n");
  EXPECT_EQ(r->prompt_size(), static_cast<std::int64_t>(r->prompt_text().size()));
}

TEST(ChatRequest, UpstreamBodyKeepsUnknownFieldsAndMergesTierParams) {
  auto r = parse_chat_request(R"({"model":"flash","stream":true,
    "messages":[{"role":"user","content":"q"},
                {"role":"assistant","content":null,"reasoning_content":"because","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"c1","content":"42"}],
    "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
    "tool_choice":"auto","response_format":{"type":"json_object"},"logprobs":true,"top_logprobs":3,
    "n":1,"stop":["\n\n"],"metadata":{"k":"v"},"vendor_extension":{"x":[1,2]},
    "thinking":{"type":"enabled","budget":5}})");
  ASSERT_TRUE(r);
  Tier t;
  t.model = "deepseek-v4-flash";
  t.params = boost::json::parse(R"({"thinking":{"type":"disabled"},"reasoning_effort":"max"})").as_object();
  auto out = boost::json::parse(build_upstream_body(*r, t)).as_object();
  EXPECT_EQ(out["model"].as_string(), "deepseek-v4-flash");
  EXPECT_EQ(out["thinking"].at("type").as_string(), "disabled") << "the tier wins";
  EXPECT_EQ(out["thinking"].at("budget").as_int64(), 5) << "deep merge keeps the client's other keys";
  EXPECT_EQ(out["reasoning_effort"].as_string(), "max");
  EXPECT_EQ(out["stream_options"].at("include_usage").as_bool(), true) << "usage is always requested upstream";
  auto original = boost::json::parse(R"({"messages":[{"role":"user","content":"q"},
                {"role":"assistant","content":null,"reasoning_content":"because","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"c1","content":"42"}]})").as_object();
  EXPECT_EQ(out["messages"], original["messages"]) << "reasoning_content must go back unchanged";
  for (const char* key : {"tools", "tool_choice", "response_format", "logprobs", "top_logprobs", "n", "stop",
                          "metadata", "vendor_extension"})
    EXPECT_TRUE(out.contains(key)) << key;
}

TEST(ChatRequest, NonStreamingBodyGetsNoStreamOptions) {
  auto r = parse_chat_request(R"({"messages":[{"role":"user","content":"q"}]})");
  ASSERT_TRUE(r);
  Tier t;
  t.model = "m";
  auto out = boost::json::parse(build_upstream_body(*r, t)).as_object();
  EXPECT_FALSE(out.contains("stream_options"));
  EXPECT_FALSE(r->model.has_value());
}

}  // namespace fulcrum

namespace fulcrum {

TEST(ChatRequest, BuildingForOneTierLeavesTheRequestAsItWasForTheNext) {
  auto r = parse_chat_request(R"({"model":"auto","stream":true,"thinking":{"type":"enabled"},
    "messages":[{"role":"user","content":"q"}]})");
  ASSERT_TRUE(r);
  const auto before = boost::json::serialize(r->body);
  Tier a;
  a.model = "model-a";
  a.params = boost::json::parse(R"({"thinking":{"type":"disabled"},"reasoning_effort":"max"})").as_object();
  Tier b;
  b.model = "model-b";
  auto body_a = boost::json::parse(build_upstream_body(*r, a)).as_object();
  auto body_b = boost::json::parse(build_upstream_body(*r, b)).as_object();
  EXPECT_EQ(body_a["reasoning_effort"].as_string(), "max");
  EXPECT_EQ(body_b["model"].as_string(), "model-b");
  EXPECT_FALSE(body_b.contains("reasoning_effort")) << "tier a's params must not leak into tier b's body";
  EXPECT_EQ(body_b["thinking"].at("type").as_string(), "enabled");
  EXPECT_EQ(body_b["stream_options"].at("include_usage").as_bool(), true);
  auto after = boost::json::parse(boost::json::serialize(r->body)).as_object();
  EXPECT_EQ(after, boost::json::parse(before).as_object()) << "the request is restored";
  EXPECT_FALSE(after.contains("stream_options"));
}

}  // namespace fulcrum

namespace fulcrum {

TEST(ChatRequest, StripsRoutingHintsFromMetadataWhenTheTierSaysSo) {
  auto r = parse_chat_request(R"({"messages":[{"role":"user","content":"q"}],
    "metadata":{"x-fulcrum-domain":"legal","x-fulcrum-task":"review","user_tag":"a1"}})");
  ASSERT_TRUE(r);
  Tier keep;
  keep.model = "m";
  Tier strip = keep;
  strip.strip_fulcrum_metadata = true;
  auto kept = boost::json::parse(build_upstream_body(*r, keep)).as_object();
  EXPECT_TRUE(kept["metadata"].as_object().contains("x-fulcrum-domain"));
  auto stripped = boost::json::parse(build_upstream_body(*r, strip)).as_object();
  EXPECT_EQ(boost::json::serialize(stripped["metadata"]), R"({"user_tag":"a1"})");
  EXPECT_TRUE(r->body.at("metadata").as_object().contains("x-fulcrum-task")) << "the request itself is untouched";

  auto only_hints = parse_chat_request(R"({"messages":[{"role":"user","content":"q"}],"metadata":{"x-fulcrum-domain":"x"}})");
  auto body = boost::json::parse(build_upstream_body(*only_hints, strip)).as_object();
  EXPECT_FALSE(body.contains("metadata"));
}

}  // namespace fulcrum

namespace fulcrum {
namespace {

TEST(ChatRequest, AThinkingTierGetsEmptyReasoningOnToolCallTurnsAndTheBodyIsKept) {
  const std::string body =
      R"({"model":"auto","messages":[{"role":"user","content":"q"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"r"},)"
      R"({"role":"assistant","content":null,"reasoning_content":"mine","tool_calls":[{"id":"c2","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"assistant","content":"plain"}]})";
  auto req = parse_chat_request(body);
  ASSERT_TRUE(req);
  EXPECT_EQ(tool_call_turns_without_reasoning(*req), 1u);
  Tier thinking;
  thinking.model = "m";
  thinking.tool_calls_need_reasoning_content = true;
  std::size_t fixes = 9;
  auto sent = boost::json::parse(build_upstream_body(*req, thinking, false, &fixes));
  EXPECT_EQ(fixes, 1u);
  const auto& m = sent.at("messages").as_array();
  EXPECT_EQ(m[1].at("reasoning_content").as_string(), "");
  EXPECT_EQ(m[3].at("reasoning_content").as_string(), "mine") << "one it had is kept";
  EXPECT_FALSE(m[4].as_object().contains("reasoning_content")) << "a turn without tool calls is left alone";
  EXPECT_FALSE(req->body.at("messages").as_array()[1].as_object().contains("reasoning_content")) << "the body is put back";
  Tier plain;
  plain.model = "m";
  sent = boost::json::parse(build_upstream_body(*req, plain, false, &fixes));
  EXPECT_EQ(fixes, 0u);
  EXPECT_FALSE(sent.at("messages").as_array()[1].as_object().contains("reasoning_content"));
}

}  // namespace
}  // namespace fulcrum
