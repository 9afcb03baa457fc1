#include "proxy/stream_relay.h"
#include "proxy/whole_answer.h"

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

const std::string kStream =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}],\"usage\":null}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello world\"}}],\"usage\":null}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4,"
    "\"prompt_cache_hit_tokens\":8,\"prompt_cache_miss_tokens\":4}}\n\n"
    "data: [DONE]\n\n";

std::string relay(const std::string& input, std::size_t piece, StreamAccounting& acc) {
  std::string out;
  auto comment = [] { return std::string(": cost\n\n"); };
  for (std::size_t i = 0; i < input.size(); i += piece) acc.feed(input.substr(i, piece), out, comment);
  acc.finish(out, comment);
  return out;
}

}  // namespace

TEST(StreamRelay, DropsTheUsageChunkTheClientDidNotAskFor) {
  for (std::size_t piece : {1u, 7u, 4096u}) {
    StreamAccounting acc(false);
    auto out = relay(kStream, piece, acc);
    EXPECT_EQ(out.find("prompt_tokens"), std::string::npos);
    EXPECT_NE(out.find("Hello world"), std::string::npos);
    EXPECT_NE(out.find(": cost\n\ndata: [DONE]\n\n"), std::string::npos) << "cost comment precedes [DONE]";
    EXPECT_TRUE(acc.saw_usage());
    EXPECT_EQ(acc.usage().cache_hit_tokens, 8);
    EXPECT_EQ(acc.usage().completion_tokens, 4);
  }
}

TEST(StreamRelay, KeepsTheUsageChunkWhenAsked) {
  StreamAccounting acc(true);
  auto out = relay(kStream, 3, acc);
  EXPECT_EQ(out, kStream.substr(0, kStream.find("data: [DONE]")) + ": cost\n\ndata: [DONE]\n\n");
}

TEST(StreamRelay, CountsAnswerTextWhenUsageNeverComes) {
  StreamAccounting acc(false);
  const std::string cut = kStream.substr(0, kStream.find("data: {\"choices\":[],"));
  auto out = relay(cut, 5, acc);
  EXPECT_FALSE(acc.saw_usage());
  EXPECT_FALSE(acc.saw_done());
  EXPECT_EQ(acc.answer_code_points(), 3 + 11);  // "hmm" + "Hello world"
  EXPECT_EQ(out, cut);
}

TEST(StreamRelay, FlushesALastEventWithoutBlankLine) {
  StreamAccounting acc(false);
  auto out = relay("data: {\"choices\":[]}\n\ndata: [DONE]\n", 4096, acc);
  EXPECT_TRUE(acc.saw_done());
  EXPECT_NE(out.find(": cost\n\ndata: [DONE]\n"), std::string::npos);
}

TEST(StreamRelay, RelaysNonJsonDataUnchanged) {
  StreamAccounting acc(false);
  auto out = relay("data: not json\n\n", 2, acc);
  EXPECT_EQ(out, "data: not json\n\n");
}

}  // namespace fulcrum

namespace fulcrum {

TEST(StreamRelay, NothingAfterDoneIsRelayedOrCostedTwice) {
  StreamAccounting acc(true);
  int comments = 0;
  std::string out;
  auto comment = [&] {
    ++comments;
    return std::string(": cost\n\n");
  };
  acc.feed(kStream + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":999}}\n\ndata: [DONE]\n\n", out, comment);
  acc.finish(out, comment);
  EXPECT_EQ(comments, 1) << "a second [DONE] would charge the answer twice";
  EXPECT_EQ(acc.usage().prompt_tokens, 12);
  EXPECT_EQ(out.find("999"), std::string::npos);
}

TEST(WholeAnswer, ReadsWhatIsThereAndIgnoresWhatIsMalformed) {
  auto good = boost::json::parse(
      R"({"choices":[{"message":{"content":"Hi","reasoning_content":"hmm"},"logprobs":{"content":[{"token":"Hi","logprob":-0.25}]}}],)"
      R"("usage":{"prompt_tokens":3,"completion_tokens":2}})").as_object();
  auto a = inspect_whole_answer(good);
  EXPECT_TRUE(a.has_choices);
  ASSERT_TRUE(a.usage);
  EXPECT_EQ(a.usage->completion_tokens, 2);
  EXPECT_EQ(a.answer_code_points, 5);  // "Hi" + "hmm"
  ASSERT_EQ(a.logprobs.size(), 1u);
  EXPECT_EQ(a.logprobs[0], -0.25);
  drop_logprobs(good);
  EXPECT_TRUE(good.at("choices").as_array()[0].as_object().at("logprobs").is_null());

  for (const char* bad : {R"({"id":"x"})", R"({"choices":"nope","usage":[1]})", R"({"choices":[1,null,{"message":7}]})"}) {
    auto obj = boost::json::parse(bad).as_object();
    auto b = inspect_whole_answer(obj);
    EXPECT_EQ(b.answer_code_points, 0) << bad;
    EXPECT_FALSE(b.usage) << bad;
    drop_logprobs(obj);  // no throw, no change to a malformed shape
  }
  EXPECT_FALSE(inspect_whole_answer(boost::json::parse(R"({"id":"x"})").as_object()).has_choices);
}

// Whole and streamed answers are estimated from the same parts: a tool call's
// arguments count in both (they once counted only in streams).
TEST(WholeAnswer, CountsWhatAStreamWouldCount) {
  const std::string message =
      R"({"content":"né","reasoning_content":"ab","tool_calls":[{"function":{"name":"f","arguments":"{\"x\":1}"}}]})";
  auto whole = boost::json::parse(R"({"choices":[{"message":)" + message + "}]}").as_object();
  EXPECT_EQ(inspect_whole_answer(whole).answer_code_points, 2 + 2 + 7);
  StreamAccounting acc(false);
  std::string out;
  acc.feed("data: {\"choices\":[{\"delta\":" + message + "}]}\n\n", out, [] { return std::string(); });
  EXPECT_EQ(acc.answer_code_points(), inspect_whole_answer(whole).answer_code_points);
}

}  // namespace fulcrum
