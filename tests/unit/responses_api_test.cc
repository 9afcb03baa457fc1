#include "openai/responses_api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace fulcrum {
namespace {
namespace json = boost::json;

json::object chat_of(std::string_view responses) {
  auto r = responses_to_chat(responses);
  EXPECT_TRUE(r) << r.error().message;
  return r ? json::parse(r.value()).as_object() : json::object{};
}

TEST(ResponsesApi, TranslatesARequestToChatCompletions) {
  const auto c = chat_of(R"({"model":"auto","instructions":"be brief","max_output_tokens":64,
    "input":[{"role":"developer","content":"use metric units"},
             {"role":"user","content":[{"type":"input_text","text":"weather in "},{"type":"input_text","text":"Paris?"}]},
             {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},
             {"type":"function_call","call_id":"c2","name":"get_events","arguments":"{}"},
             {"type":"function_call_output","call_id":"c1","output":"18C"},
             {"type":"reasoning","id":"r1","summary":[]}],
    "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"},"strict":true}],
    "tool_choice":{"type":"function","name":"get_weather"},
    "reasoning":{"effort":"medium"},"text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"}}},
    "store":true,"thinking":{"type":"enabled"}})");
  const auto& m = c.at("messages").as_array();
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0], json::parse(R"({"role":"system","content":"be brief"})"));
  EXPECT_EQ(m[1], json::parse(R"({"role":"system","content":"use metric units"})"));
  EXPECT_EQ(m[2], json::parse(R"({"role":"user","content":"weather in Paris?"})"));
  EXPECT_EQ(m[3].at("tool_calls").as_array().size(), 2u);  // consecutive calls: one assistant turn
  EXPECT_EQ(m[4], json::parse(R"({"role":"tool","tool_call_id":"c1","content":"18C"})"));
  EXPECT_EQ(c.at("max_tokens"), 64);
  EXPECT_EQ(c.at("reasoning_effort"), "high");
  EXPECT_EQ(c.at("tools"), json::parse(R"([{"type":"function","function":{"name":"get_weather",
    "parameters":{"type":"object"},"strict":true}}])"));
  EXPECT_EQ(c.at("tool_choice"), json::parse(R"({"type":"function","function":{"name":"get_weather"}})"));
  EXPECT_EQ(c.at("response_format").at("type"), "json_schema");
  EXPECT_FALSE(c.contains("store"));           // Responses-only
  EXPECT_TRUE(c.contains("thinking"));         // a vendor extension passes, as on chat requests
  EXPECT_FALSE(c.contains("stream_options"));  // only streams need the usage chunk
  EXPECT_TRUE(chat_of(R"({"input":"x","stream":true})").contains("stream_options"));
}

TEST(ResponsesApi, RefusesWhatItCannotTranslateNamingTheField) {
  auto param_of = [](std::string_view body) {
    auto r = responses_to_chat(body);
    return r ? std::string("(accepted)") : r.error().param;
  };
  EXPECT_EQ(param_of(R"({"model":"auto"})"), "input");
  EXPECT_EQ(param_of(R"({"input":"x","previous_response_id":"resp_1"})"), "previous_response_id");
  EXPECT_EQ(param_of(R"({"input":"x","tools":[{"type":"web_search"}]})"), "tools[0].type");
  EXPECT_EQ(param_of(R"({"input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]})"),
            "input[0].content[0].type");
  EXPECT_EQ(param_of(R"({"input":[{"type":"function_call","name":"f"}]})"), "input[0]");
  EXPECT_EQ(param_of(R"({"input":"x","max_output_tokens":0})"), "max_output_tokens");
  EXPECT_EQ(responses_to_chat("[1]").error().code, Errc::invalid_json);
  EXPECT_EQ(responses_to_chat(R"({"input":"x","temperature":1e999})").error().code, Errc::invalid_json);
}

TEST(ResponsesApi, TurnsAChatAnswerIntoAResponse) {
  const auto chat = json::parse(R"({"id":"c","created":5,"model":"m","choices":[{"index":0,
    "message":{"role":"assistant","content":"Four.","tool_calls":[{"id":"call_9","type":"function",
    "function":{"name":"f","arguments":"{}"}}]},"finish_reason":"length"}],
    "usage":{"prompt_tokens":10,"completion_tokens":2,"prompt_cache_hit_tokens":4,
    "completion_tokens_details":{"reasoning_tokens":1}}})").as_object();
  const auto r = chat_to_response(chat, "resp_x");
  EXPECT_EQ(r.at("id"), "resp_x");
  EXPECT_EQ(r.at("status"), "incomplete");  // finish_reason length
  EXPECT_EQ(r.at("output").as_array()[0].at("content").as_array()[0].at("text"), "Four.");
  EXPECT_EQ(r.at("output").as_array()[1].at("call_id"), "call_9");
  EXPECT_EQ(r.at("usage"), json::parse(R"({"input_tokens":10,"output_tokens":2,"total_tokens":12,
    "input_tokens_details":{"cached_tokens":4},"output_tokens_details":{"reasoning_tokens":1}})"));
}

TEST(ResponsesApi, StreamsTextAndToolCallsAsResponsesEvents) {
  ResponsesStream s("resp_s", 1);
  std::string out = s.feed(R"(data: {"model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]})"
                           "\n\ndata: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"
                           ": fulcrum-cost {}\n\n");
  out += s.feed(R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{\"a\""}}]}}]})"
                "\n\n");
  out += s.feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},"
                "\"finish_reason\":\"tool_calls\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"
                "data: [DONE]\n\n");
  out += s.finish();  // nothing more: [DONE] closed it
  std::vector<std::string> types;
  std::size_t at = 0;
  while ((at = out.find("event: ", at)) != std::string::npos) {
    const auto end = out.find('\n', at);
    types.push_back(out.substr(at + 7, end - at - 7));
    at = end;
  }
  const std::vector<std::string> expected{
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta", "response.output_item.added",
      "response.function_call_arguments.delta", "response.function_call_arguments.delta",
      "response.output_text.done", "response.content_part.done", "response.output_item.done",
      "response.function_call_arguments.done", "response.output_item.done", "response.completed"};
  EXPECT_EQ(types, expected);
  EXPECT_NE(out.find(": fulcrum-cost {}"), std::string::npos);  // comments pass
  EXPECT_NE(out.find(R"("arguments":"{\"a\":1}")"), std::string::npos);
  EXPECT_NE(out.find(R"("usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7)"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
