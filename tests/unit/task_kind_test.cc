// The kind of work a prompt asks for, read from cue words (learn/task_kind.h).
#include <gtest/gtest.h>

#include <vector>

#include "learn/task_kind.h"

namespace fulcrum {
namespace {

std::size_t index_of(std::string_view kind) {
  for (std::size_t k = 0; k < kTaskKinds.size(); ++k)
    if (kTaskKinds[k] == kind) return k;
  ADD_FAILURE() << kind << " is not a task kind";
  return 0;
}

TEST(TaskKind, ReadsTheKindOfWorkFromItsCueWords) {
  EXPECT_EQ(read_task_kind("Write a Python function that reverses a linked list").kind(), "code");
  EXPECT_EQ(read_task_kind("Solve the equation 3x + 5 = 20 and prove your answer").kind(), "math");
  EXPECT_EQ(read_task_kind("A riddle: my sister is older than me; who is the youngest?").kind(), "reasoning");
  EXPECT_EQ(read_task_kind("Extract every person's name from this paragraph").kind(), "extraction");
  EXPECT_EQ(read_task_kind("Compose a short poem about the sea").kind(), "writing");
  EXPECT_EQ(read_task_kind("Pretend you are a pirate captain and stay in role").kind(), "roleplay");
  EXPECT_EQ(read_task_kind("hey, I'm bored this weekend").kind(), "chat");
  EXPECT_EQ(read_task_kind("How did the history of the Roman empire shape its culture?").kind(), "humanities");
  // Words, not substrings, and whatever their case.
  EXPECT_EQ(read_task_kind("PYTHON").kind(), "code");
  EXPECT_EQ(read_task_kind("pythonic hillside").kind(), "");
}

TEST(TaskKind, DemandWeighsTheKindsWhereTheStrongTierHelpsAgainstTheOthers) {
  const auto none = read_task_kind("What is the capital of France?");
  EXPECT_EQ(none.kind(), "");
  EXPECT_DOUBLE_EQ(none.demand(), 0.0);
  // One cue word: +-1/2; more of the same kind push toward +-1.
  EXPECT_DOUBLE_EQ(read_task_kind("fix my code").demand(), 0.5);
  EXPECT_DOUBLE_EQ(read_task_kind("a haiku").demand(), -0.5);
  EXPECT_DOUBLE_EQ(read_task_kind("debug this python code").demand(), 0.75);
  // Mixed kinds weigh against each other: a poem about an algorithm.
  EXPECT_DOUBLE_EQ(read_task_kind("write a poem about an algorithm").demand(), -1.0 / 4);
}

TEST(TaskKind, AWordMayCueSeveralKinds) {
  const auto r = read_task_kind("json");
  EXPECT_EQ(r.cues[index_of("code")], 1);
  EXPECT_EQ(r.cues[index_of("extraction")], 1);
  EXPECT_EQ(r.kind(), "code") << "a tie goes to the kind listed first";
  EXPECT_DOUBLE_EQ(r.demand(), 2.0 / 3);
}

TEST(TaskKind, ReadsTheWordsTheTextFeaturesHashed) {
  const std::string prompt = "Write a SQL query that lists every customer, then explain it";
  std::vector<Feature> scratch;
  PromptWords words;
  extract_text_features(prompt, FeatureOptions{}, scratch, /*normalize=*/false, &words);
  const auto from_words = read_task_kind(words);
  EXPECT_EQ(from_words.cues, read_task_kind(prompt).cues);
  EXPECT_EQ(from_words.kind(), "code");
  // Only the first PromptWords::kMax words are read.
  std::string long_prompt;
  for (std::size_t i = 0; i < PromptWords::kMax; ++i) long_prompt += "and ";
  EXPECT_EQ(read_task_kind(long_prompt + "python").kind(), "");
}

}  // namespace
}  // namespace fulcrum
