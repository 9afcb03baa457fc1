#include "proxy/stream_relay.h"

#include <gtest/gtest.h>

#include "openai/answer_reader.h"

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

// Whole and streamed answers are estimated from the same parts: a tool call's
// arguments count in both (they once counted only in streams).
TEST(StreamAccounting, CountsWhatAWholeAnswerWouldCount) {
  const std::string message =
      R"({"content":"né","reasoning_content":"ab","tool_calls":[{"function":{"name":"f","arguments":"{\"x\":1}"}}]})";
  const auto whole = read_answer(R"({"choices":[{"message":)" + message + "}]}", AnswerPart::message, 0);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->answer_code_points, 2 + 2 + 7);
  StreamAccounting acc(false);
  std::string out;
  acc.feed("data: {\"choices\":[{\"delta\":" + message + "}]}\n\n", out, [] { return std::string(); });
  EXPECT_EQ(acc.answer_code_points(), whole->answer_code_points);
}

}  // namespace fulcrum

namespace fulcrum {

// Events without usage are counted only when usage never comes; the count must
// not depend on that laziness: many small events (past the backlog's bound),
// a big one, and usage written with spaces or an escaped key.
TEST(StreamAccounting, CountsEveryEventWhenUsageNeverComesWhateverTheirSizes) {
  std::string stream;
  for (int i = 0; i < 600; ++i)
    stream += "data: {\"choices\":[{\"delta\":{\"content\":\"abcd\"}}],\"usage\":null}\n\n";
  stream += "data: {\"choices\":[{\"delta\":{\"content\":\"" + std::string(40000, 'x') + "\"}}]}\n\n";
  stream += "data: {\"choices\":[{\"delta\":{\"content\":\"said \\\"usage\\\": {\"}}]}\n\n";  // the text, in a string
  StreamAccounting acc(false);
  auto out = relay(stream, 1000, acc);
  EXPECT_EQ(out, stream);
  EXPECT_FALSE(acc.saw_usage());
  EXPECT_EQ(acc.answer_code_points(), 600 * 4 + 40000 + 15);
}

TEST(StreamAccounting, FindsUsageHoweverItIsWritten) {
  for (const std::string usage : {R"("usage" : { "prompt_tokens": 5, "completion_tokens": 2 })",
                                  R"("\u0075sage":{"prompt_tokens":5,"completion_tokens":2})",
                                  R"("x":{"usage":null,"y":"usage"},"usage":{"prompt_tokens":5,"completion_tokens":2})"}) {
    StreamAccounting acc(false);
    auto out = relay("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"choices\":[]," + usage +
                         "}\n\ndata: [DONE]\n\n",
                     4096, acc);
    EXPECT_TRUE(acc.saw_usage()) << usage;
    EXPECT_EQ(acc.usage().prompt_tokens, 5) << usage;
    EXPECT_EQ(out.find("prompt_tokens"), std::string::npos) << "the usage-only chunk the client did not ask for";
  }
}

TEST(StreamAccounting, ReadsLogprobsOnlyForACascade) {
  const std::string stream =
      "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"logprobs\":{\"content\":[{\"logprob\":-0.5}]}}]}\n\n";
  StreamAccounting judged(false, true), relayed(false);
  relay(stream, 4096, judged);
  relay(stream, 4096, relayed);
  EXPECT_EQ(judged.logprobs(), std::vector<double>{-0.5});
  EXPECT_TRUE(relayed.logprobs().empty());
  EXPECT_EQ(judged.answer_code_points(), 1);
  EXPECT_EQ(relayed.answer_code_points(), 1);
}

}  // namespace fulcrum
