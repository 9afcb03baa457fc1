#include "openai/answer_reader.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "openai/usage.h"
#include "proxy/whole_answer.h"

namespace fulcrum {
namespace {

bool same(const Usage& a, const Usage& b) {
  return a.prompt_tokens == b.prompt_tokens && a.cache_hit_tokens == b.cache_hit_tokens &&
         a.cache_miss_tokens == b.cache_miss_tokens && a.completion_tokens == b.completion_tokens &&
         a.reasoning_tokens == b.reasoning_tokens;
}

}  // namespace

TEST(AnswerReader, ReadsWhatIsThereAndIgnoresWhatIsMalformed) {
  const auto a = read_answer(
      R"({"choices":[{"message":{"content":"Hi","reasoning_content":"hmm"},"logprobs":{"content":[{"token":"Hi","logprob":-0.25},{"logprob":-1}]}}],)"
      R"("usage":{"prompt_tokens":3,"completion_tokens":2}})",
      AnswerPart::message, 8);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->has_choices);
  EXPECT_FALSE(a->choices_empty);
  ASSERT_TRUE(a->usage);
  EXPECT_EQ(a->usage->completion_tokens, 2);
  EXPECT_EQ(a->answer_code_points, 5);  // "Hi" + "hmm"
  EXPECT_EQ(a->logprobs, (std::vector<double>{-0.25, -1}));
  // Only as many logprobs as asked for; none read when none are wanted.
  EXPECT_EQ(read_answer(R"({"choices":[{"logprobs":{"content":[{"logprob":-1},{"logprob":-2}]}}]})", AnswerPart::message, 1)->logprobs,
            std::vector<double>{-1});
  EXPECT_TRUE(read_answer(R"({"choices":[{"logprobs":{"content":[{"logprob":-1}]}}]})", AnswerPart::message, 0)->logprobs.empty());

  for (const char* bad : {R"({"id":"x"})", R"({"choices":"nope","usage":[1]})",
                          R"({"choices":[1,null,{"message":7,"logprobs":[1]},{"message":{"content":5,"tool_calls":{}}}]})"}) {
    const auto b = read_answer(bad, AnswerPart::message, 8);
    ASSERT_TRUE(b) << bad;
    EXPECT_EQ(b->answer_code_points, 0) << bad;
    EXPECT_FALSE(b->usage) << bad;
    EXPECT_TRUE(b->logprobs.empty()) << bad;
  }
  EXPECT_FALSE(read_answer(R"({"id":"x"})", AnswerPart::message, 0)->has_choices);
  EXPECT_TRUE(read_answer(R"({"choices":[]})", AnswerPart::delta, 0)->choices_empty);
  for (const char* not_an_object : {"", "[1]", "\"x\"", "{\"a\":", "{\"a\":1}x", "{\"a\":nan}", "{\"a\":\"\xff\"}"})
    EXPECT_FALSE(read_answer(not_an_object, AnswerPart::message, 0)) << not_an_object;
}

TEST(AnswerReader, ReadsDeltasForStreamsAndMessagesForWholeAnswers) {
  const std::string both = R"({"choices":[{"delta":{"content":"abc"},"message":{"content":"de"}}]})";
  EXPECT_EQ(read_answer(both, AnswerPart::delta, 0)->answer_code_points, 3);
  EXPECT_EQ(read_answer(both, AnswerPart::message, 0)->answer_code_points, 2);
}

// The usage read here is the usage the Boost.JSON reader (Messages and
// Responses translation) reads from the same object, for every shape of it.
TEST(AnswerReader, ReadsUsageAsParseUsageDoes) {
  for (const char* u : {
           R"({"prompt_tokens":1000,"completion_tokens":300,"prompt_cache_hit_tokens":800,"prompt_cache_miss_tokens":200,"completion_tokens_details":{"reasoning_tokens":120}})",
           R"({"prompt_tokens":100,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":64}})",
           R"({"prompt_tokens":100,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":640}})",
           R"({"prompt_tokens":100,"prompt_cache_hit_tokens":30})",
           R"({"prompt_cache_hit_tokens":30,"prompt_cache_miss_tokens":"x"})",
           R"({"prompt_tokens":-5,"completion_tokens":2.9,"prompt_cache_miss_tokens":1e300})",
           R"({"prompt_tokens":18446744073709551615,"completion_tokens":true})",
           R"({"prompt_tokens":10,"prompt_tokens":20,"prompt_tokens_details":7})",
           R"({})"}) {
    const auto read = read_answer(std::string(R"({"usage":)") + u + "}", AnswerPart::message, 0);
    ASSERT_TRUE(read && read->usage) << u;
    EXPECT_TRUE(same(*read->usage, parse_usage(boost::json::parse(u).as_object()))) << u;
  }
}

// Counts beyond any window are a broken or hostile upstream: they are clamped
// so that prices, sums and the Responses API's total stay inside int64 (UBSan
// under fuzzing found the total overflowing at 2^63 - 1).
TEST(AnswerReader, ClampsAnAbsurdCountSoSumsAndPricesCannotOverflow) {
  const auto a = read_answer(R"({"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":1e300,"prompt_cache_hit_tokens":18446744073709551615}})",
                             AnswerPart::message, 0);
  ASSERT_TRUE(a && a->usage);
  EXPECT_EQ(a->usage->prompt_tokens, kMaxTokenCount);
  EXPECT_EQ(a->usage->completion_tokens, kMaxTokenCount);
  EXPECT_EQ(a->usage->cache_hit_tokens, kMaxTokenCount);
  const Prices at_the_cap{kMaxPricePerMTok, kMaxPricePerMTok, kMaxPricePerMTok};
  EXPECT_EQ(price_usage(*a->usage, at_the_cap).total(), 2 * kMaxTokenCount * kMaxPricePerMTok);
}

TEST(AnswerReader, AKeyGivenTwiceCountsByItsLastValue) {
  const auto a = read_answer(R"({"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":7},"choices":5,"choices":[]})",
                             AnswerPart::message, 0);
  ASSERT_TRUE(a && a->usage);
  EXPECT_EQ(a->usage->prompt_tokens, 7);
  EXPECT_TRUE(a->has_choices);
}

// simdjson refuses integers beyond 64 bits, which Boost.JSON (and so a
// client) takes as numbers: such an answer is still read.
TEST(AnswerReader, ReadsAnAnswerWithAnIntegerBeyond64Bits) {
  const auto a = read_answer(R"({"seed":123456789012345678901234567890,"choices":[{"message":{"content":"ok"}}],"usage":{"completion_tokens":1}})",
                             AnswerPart::message, 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->answer_code_points, 2);
  ASSERT_TRUE(a->usage);
  EXPECT_EQ(a->usage->completion_tokens, 1);
}

TEST(WholeAnswer, LogprobsAreNulledForTheClient) {
  const auto body = without_logprobs(R"({"id":"x","choices":[{"logprobs":{"content":[]},"message":{"content":"a"}},7]})");
  const auto v = boost::json::parse(body);
  EXPECT_TRUE(v.at("choices").as_array()[0].as_object().at("logprobs").is_null());
  EXPECT_EQ(v.at("choices").as_array()[1], 7);
  EXPECT_EQ(v.at("id"), "x");
  EXPECT_EQ(without_logprobs("not json"), "not json");
}

}  // namespace fulcrum
