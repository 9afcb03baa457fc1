#include "anthropic/messages_api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace fulcrum {
namespace {
namespace json = boost::json;

TEST(MessagesApi, TranslatesARequestToChatCompletions) {
  auto r = messages_to_chat(R"({"model":"auto","max_tokens":100,"system":[{"type":"text","text":"be brief"}],
    "messages":[
      {"role":"user","content":[{"type":"text","text":"look: "},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}}]},
      {"role":"assistant","content":[{"type":"thinking","thinking":"call it","signature":"s"},
                                     {"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"ok"}]},
                                {"type":"text","text":"thanks"}]}],
    "tools":[{"name":"f","description":"d","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},
    "stop_sequences":["END"],"thinking":{"type":"enabled","budget_tokens":1024},"top_k":5,"stream":true})");
  ASSERT_TRUE(r) << r.error().message;
  const auto c = json::parse(r.value()).as_object();
  const auto& m = c.at("messages").as_array();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0], json::parse(R"({"role":"system","content":"be brief"})"));
  EXPECT_EQ(m[1].at("content").as_array()[1],
            json::parse(R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}})"));
  EXPECT_EQ(m[2], json::parse(R"({"role":"assistant","content":null,"reasoning_content":"call it",
    "tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]})"));
  EXPECT_EQ(m[3], json::parse(R"({"role":"tool","tool_call_id":"t1","content":"ok"})"));
  EXPECT_EQ(m[4], json::parse(R"({"role":"user","content":"thanks"})"));
  EXPECT_EQ(c.at("tools"), json::parse(R"([{"type":"function","function":{"name":"f","description":"d",
    "parameters":{"type":"object"}}}])"));
  EXPECT_EQ(c.at("tool_choice"), "required");
  EXPECT_EQ(c.at("stop"), json::parse(R"(["END"])"));
  EXPECT_EQ(c.at("thinking"), json::parse(R"({"type":"enabled"})"));
  EXPECT_EQ(c.at("stream_options"), json::parse(R"({"include_usage":true})"));
  EXPECT_FALSE(c.contains("top_k"));
  EXPECT_FALSE(c.contains("system"));
}

TEST(MessagesApi, RefusesWhatItCannotTranslateNamingTheField) {
  auto param_of = [](std::string_view body) {
    auto r = messages_to_chat(body);
    return r ? std::string("(accepted)") : r.error().param;
  };
  EXPECT_EQ(param_of(R"({"messages":[{"role":"user","content":"x"}]})"), "max_tokens");
  EXPECT_EQ(param_of(R"({"max_tokens":5,"messages":[]})"), "messages");
  EXPECT_EQ(param_of(R"({"max_tokens":5,"messages":[{"role":"system","content":"x"}]})"), "messages[0].role");
  EXPECT_EQ(param_of(R"({"max_tokens":5,"messages":[{"role":"user","content":[{"type":"document"}]}]})"),
            "messages[0].content[0].type");
  EXPECT_EQ(param_of(R"({"max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"w"}]})"),
            "tools[0].type");
}

TEST(MessagesApi, AnswersAndErrorsInAnthropicsShape) {
  const auto chat = json::parse(R"({"model":"m","choices":[{"index":0,"message":{"role":"assistant",
    "content":"Hi","reasoning_content":"think","tool_calls":[{"id":"t9","type":"function",
    "function":{"name":"f","arguments":"{\"x\":2}"}}]},"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_cache_hit_tokens":4}})").as_object();
  EXPECT_EQ(chat_to_message(chat, "msg_1"), json::parse(R"({"id":"msg_1","type":"message","role":"assistant","model":"m",
    "content":[{"type":"thinking","thinking":"think","signature":""},{"type":"text","text":"Hi"},
               {"type":"tool_use","id":"t9","name":"f","input":{"x":2}}],
    "stop_reason":"tool_use","stop_sequence":null,
    "usage":{"input_tokens":6,"output_tokens":3,"cache_read_input_tokens":4,"cache_creation_input_tokens":0}})"));
  EXPECT_EQ(json::parse(anthropic_error(429, R"({"error":{"message":"slow down","type":"rate_limit_error"}})")),
            json::parse(R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})"));
}

TEST(MessagesApi, StreamsTextThinkingAndToolUseAsMessagesEvents) {
  MessagesStream s("msg_s");
  std::string out = s.feed("data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n"
                           "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n");
  out += s.feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t1\",\"function\":"
                "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":"
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\ndata: [DONE]\n\n");
  out += s.finish();
  std::vector<std::string> types;
  for (std::size_t at = 0; (at = out.find("event: ", at)) != std::string::npos;) {
    const auto end = out.find('\n', at);
    types.push_back(out.substr(at + 7, end - at - 7));
    at = end;
  }
  const std::vector<std::string> expected{
      "message_start", "content_block_start", "content_block_delta", "content_block_stop",   // thinking
      "content_block_start", "content_block_delta", "content_block_stop",                    // text
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",  // tool_use
      "message_delta", "message_stop"};
  EXPECT_EQ(types, expected);
  EXPECT_NE(out.find(R"("delta":{"stop_reason":"tool_use","stop_sequence":null})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("usage":{"input_tokens":3,"output_tokens":4)"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
