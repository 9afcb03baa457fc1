#include "state/sticky_routes.h"

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

ChatRequest request(std::string_view messages_json) {
  auto r = parse_chat_request(R"({"model":"auto","messages":)" + std::string(messages_json) + "}");
  EXPECT_TRUE(r) << r.error().message;
  return std::move(r.value());
}

constexpr const char* kStep1 = R"([{"role":"system","content":"be brief"},{"role":"user","content":"weather?"}])";
// The client sends step 1 again, then the answer's tool call (re-serialized by
// its SDK, with fields added), then the tool's result.
constexpr const char* kStep2 =
    R"([{"role":"system","content":"be brief"},{"role":"user","content":"weather?"},)"
    R"({"role":"assistant","content":null,"refusal":null,"reasoning_content":"",)"
    R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},)"
    R"({"role":"tool","tool_call_id":"call_1","content":"18C"}])";

TEST(StickyRoutes, ATurnContinuesTheKeyThePreviousTurnLeft) {
  const auto step1 = StickyRoutes::keys(request(kStep1), "team-a");
  const auto step2 = StickyRoutes::keys(request(kStep2), "team-a");
  ASSERT_FALSE(step1.own.empty());
  EXPECT_FALSE(step1.continued);  // a first turn continues nothing
  EXPECT_EQ(step2.continued, step1.own);
  EXPECT_TRUE(step2.ends_in_tool_results);
  EXPECT_EQ(step2.prefix_chars, static_cast<std::int64_t>(std::string("be brief\nweather?\n").size()));
  // Another gateway key never continues it: tenants do not steer each other.
  EXPECT_NE(StickyRoutes::keys(request(kStep2), "team-b").continued, step1.own);
  // A different opening, or the same words split differently, is a different conversation.
  EXPECT_NE(StickyRoutes::keys(request(R"([{"role":"system","content":"be brief"},{"role":"user","content":"news?"}])"),
                               "team-a").own, step1.own);
  EXPECT_NE(StickyRoutes::keys(request(R"([{"role":"system","content":"be"},{"role":"user","content":" briefweather?"}])"),
                               "team-a").own, step1.own);
}

TEST(StickyRoutes, KeepsToolStepsOrEveryTurnAsTheModeSays) {
  auto store = make_local_store();
  const auto step1 = StickyRoutes::keys(request(kStep1), "");
  const auto step2 = StickyRoutes::keys(request(kStep2), "");  // ends in a tool result
  const auto chat2 = StickyRoutes::keys(
      request(R"([{"role":"system","content":"be brief"},{"role":"user","content":"weather?"},)"
              R"({"role":"assistant","content":"18C"},{"role":"user","content":"and tomorrow?"}])"), "");
  StickyRoutes loops(StickyMode::tool_loops, std::chrono::minutes(1), *store);
  EXPECT_FALSE(loops.previous(step2));  // nothing remembered yet
  loops.remember(step1, "flash");
  auto p = loops.previous(step2);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->tier, "flash");
  EXPECT_TRUE(p->keep);
  p = loops.previous(chat2);  // a chat turn: routed, knowing flash holds the prefix
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->keep);
  EXPECT_FALSE(loops.previous(StickyRoutes::keys(request(kStep2), "team-a")));
  StickyRoutes conversation(StickyMode::conversation, std::chrono::minutes(1), *store);
  p = conversation.previous(chat2);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->keep);
}

}  // namespace
}  // namespace fulcrum
