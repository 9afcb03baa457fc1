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

TEST(StickyRoutes, AToolStepContinuesTheKeyItsToolCallStarted) {
  const auto step1 = request(kStep1);
  const auto step2 = request(kStep2);
  const auto started = StickyRoutes::started_key(StickyMode::tool_loops, step1, "team-a", true);
  ASSERT_TRUE(started);
  EXPECT_EQ(StickyRoutes::continued_key(StickyMode::tool_loops, step2, "team-a"), started);
  // Another gateway key never continues it: tenants do not steer each other.
  EXPECT_NE(StickyRoutes::continued_key(StickyMode::tool_loops, step2, "team-b"), started);
  // An answer without tool calls starts nothing; a request not ending in tool results continues nothing.
  EXPECT_FALSE(StickyRoutes::started_key(StickyMode::tool_loops, step1, "team-a", false));
  EXPECT_FALSE(StickyRoutes::continued_key(StickyMode::tool_loops, step1, "team-a"));
  // A different opening is a different conversation.
  const auto other = request(R"([{"role":"system","content":"be brief"},{"role":"user","content":"news?"}])");
  EXPECT_NE(StickyRoutes::started_key(StickyMode::tool_loops, other, "team-a", true), started);
  EXPECT_FALSE(StickyRoutes::continued_key(StickyMode::off, step2, "team-a"));
}

TEST(StickyRoutes, InConversationModeEveryLaterTurnFollowsTheFirst) {
  const auto first = request(kStep1);
  const auto third = request(R"([{"role":"system","content":"be brief"},{"role":"user","content":"weather?"},)"
                             R"({"role":"assistant","content":"18C"},{"role":"user","content":"and tomorrow?"}])");
  const auto started = StickyRoutes::started_key(StickyMode::conversation, first, "", false);
  ASSERT_TRUE(started);
  EXPECT_EQ(StickyRoutes::continued_key(StickyMode::conversation, third, ""), started);
  EXPECT_FALSE(StickyRoutes::continued_key(StickyMode::conversation, first, ""));  // the first turn is routed
  EXPECT_FALSE(StickyRoutes::started_key(StickyMode::conversation, third, "", false));  // only the first remembers
}

TEST(StickyRoutes, RemembersTheTierInTheStore) {
  auto store = make_local_store();
  StickyRoutes sticky(StickyMode::tool_loops, std::chrono::minutes(1), *store);
  const auto step1 = request(kStep1);
  const auto step2 = request(kStep2);
  EXPECT_FALSE(sticky.tier_for(step2, ""));
  sticky.remember(step1, "", "flash", /*answer_calls_tools=*/true);
  EXPECT_EQ(sticky.tier_for(step2, ""), "flash");
  EXPECT_FALSE(sticky.tier_for(step2, "team-a"));
}

}  // namespace
}  // namespace fulcrum
