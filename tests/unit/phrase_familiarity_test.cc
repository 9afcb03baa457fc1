#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "learn/phrase_familiarity.h"
#include "learn/text_features.h"

namespace fulcrum {
namespace {

PromptWords words_of(const std::string& text) {
  std::vector<Feature> scratch;
  PromptWords words;
  extract_text_features(text, FeatureOptions{}, scratch, /*normalize=*/false, &words);
  return words;
}

// Multiple-choice questions on 40 subjects: they share their phrasing, not their topics.
std::vector<PromptWords> quiz_prompts() {
  const char* topics[] = {"photosynthesis", "tariffs", "the french revolution", "enzymes", "plate tectonics",
                          "inflation", "the renaissance", "vaccines", "magnetism", "the cold war"};
  std::vector<PromptWords> rows;
  for (int i = 0; i < 200; ++i) {
    std::ostringstream text;
    text << "Which of the following statements about " << topics[i % 10] << " is true in case " << i
         << "?\nA. it is rare\nB. it is common\nC. both of the above\nD. none of the above\nAnswer:";
    rows.push_back(words_of(text.str()));
  }
  return rows;
}

TEST(PhraseFamiliarity, APromptOfTheTrainingKindWeighsOneAndAnotherKindLess) {
  const auto model = PhraseFamiliarity::train(quiz_prompts());
  EXPECT_GT(model.reference(), 0.5);
  EXPECT_LE(model.reference(), 1.0);
  // A new question on a known subject: as familiar as a training prompt.
  const auto same_kind = words_of("Which of the following statements about inflation is true in case 1000?\nA. it "
                                  "is rare\nB. it is common\nC. both of the above\nD. none of the above\nAnswer:");
  EXPECT_DOUBLE_EQ(model.weight(same_kind), 1.0);
  // A new subject, asked the same way: nearly so.
  const auto new_subject = words_of("Which of the following statements about glaciers is true in case 7?\nA. it is "
                                    "rare\nB. it is common\nC. both of the above\nD. none of the above\nAnswer:");
  EXPECT_GT(model.weight(new_subject), 0.8);
  // A word problem that shares many of its words but few of its phrases.
  const auto other_kind = words_of("Janet has 16 ducks and it is true that each lays an egg; she sells the above "
                                   "eggs at the market. How many does she sell in case none are rare?");
  EXPECT_LT(model.weight(other_kind), 0.3);
  EXPECT_LT(model.coverage(other_kind), model.coverage(same_kind));
}

TEST(PhraseFamiliarity, WeighsOneWhenThereIsNothingToCompareWith) {
  const auto quiz = PhraseFamiliarity::train(quiz_prompts());
  EXPECT_DOUBLE_EQ(PhraseFamiliarity{}.weight(words_of("any prompt at all, of several words")), 1.0);
  EXPECT_DOUBLE_EQ(quiz.weight(words_of("hello there")), 1.0) << "no trigram in two words";
  // Training prompts that never repeat a phrase say nothing about a new one.
  std::vector<PromptWords> unrelated;
  for (int i = 0; i < 50; ++i) {
    std::ostringstream text;
    text << 'w' << 3 * i << " w" << 3 * i + 1 << " w" << 3 * i + 2 << " x" << i;
    unrelated.push_back(words_of(text.str()));
  }
  const auto flat = PhraseFamiliarity::train(unrelated);
  EXPECT_DOUBLE_EQ(flat.reference(), 0.0);
  EXPECT_DOUBLE_EQ(flat.weight(words_of("something else entirely, never seen")), 1.0);
}

TEST(PhraseFamiliarity, CountsEachTrainingPromptWithoutItself) {
  // Two prompts share every trigram: each, counted without itself, has no
  // other prompt that shares them twice, so the reference share is 0 and a
  // copy of either is judged only by the table (two prompts hold its trigrams).
  std::vector<PromptWords> two{words_of("the quick brown fox jumps over the lazy dog"),
                               words_of("the quick brown fox jumps over the lazy dog")};
  const auto model = PhraseFamiliarity::train(two);
  EXPECT_DOUBLE_EQ(model.reference(), 0.0);
  EXPECT_DOUBLE_EQ(model.coverage(words_of("the quick brown fox jumps over the lazy dog")), 1.0);
  std::vector<PromptWords> three = two;
  three.push_back(two.front());
  EXPECT_DOUBLE_EQ(PhraseFamiliarity::train(three).reference(), 1.0);
}

TEST(PhraseFamiliarity, SurvivesSaveAndLoadAndRefusesABrokenTable) {
  const auto model = PhraseFamiliarity::train(quiz_prompts());
  std::stringstream file;
  model.save(file);
  const std::string bytes = file.str();
  std::istringstream in(bytes);
  auto loaded = PhraseFamiliarity::load(in);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_DOUBLE_EQ(loaded->reference(), model.reference());
  const auto probe = words_of("Which of the following statements about rivers is true?\nA. it is rare");
  EXPECT_DOUBLE_EQ(loaded->coverage(probe), model.coverage(probe));

  std::istringstream cut(bytes.substr(0, bytes.size() - 100));
  auto truncated = PhraseFamiliarity::load(cut);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos) << truncated.error().message;
  std::string bad = bytes;
  bad[0] = 'X';
  std::istringstream wrong(bad);
  EXPECT_FALSE(PhraseFamiliarity::load(wrong));
  std::string resized = bytes;
  resized[8 + sizeof(double)] ^= 1;  // the table's length
  std::istringstream other_size(resized);
  auto refused = PhraseFamiliarity::load(other_size);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("size"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace fulcrum
