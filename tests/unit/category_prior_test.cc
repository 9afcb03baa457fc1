#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "learn/category_prior.h"
#include "learn/outcome_model.h"

namespace fulcrum {
namespace {

const ModelPair kPair{"weak", "strong"};

LabeledPrompt row(std::string category, std::string prompt, double weak, double strong) {
  LabeledPrompt r;
  r.category = std::move(category);
  r.prompt = std::move(prompt);
  r.scores["weak"] = weak;
  r.scores["strong"] = strong;
  return r;
}

// Three categories, 100 rows each, with their own words: escalation always
// helps on law (gain 1), never matters on chat (0), always hurts on poems (-1).
std::vector<LabeledPrompt> three_categories() {
  std::vector<LabeledPrompt> rows;
  for (int i = 0; i < 100; ++i) {
    const auto n = std::to_string(i % 10);
    rows.push_back(row("law", "the court ruled on statute " + n + " and the plaintiff appealed", 0, 1));
    rows.push_back(row("chat", "hello friend how was your weekend " + n, 1, 1));
    rows.push_back(row("poetry", "write a sonnet about the moon and roses " + n, 1, 0));
  }
  return rows;
}

std::vector<const LabeledPrompt*> pointers(const std::vector<LabeledPrompt>& rows) {
  std::vector<const LabeledPrompt*> out;
  for (const auto& r : rows) out.push_back(&r);
  return out;
}

PromptWords words_of(std::string_view text) {
  std::vector<Feature> scratch;
  PromptWords words;
  extract_text_features(text, FeatureOptions{}, scratch, false, &words);
  return words;
}

CategoryPrior trained(const std::vector<LabeledPrompt>& rows) {
  auto prior = CategoryPrior::train(pointers(rows), kPair, CategoryPriorOptions{});
  EXPECT_TRUE(prior.has_value());
  return std::move(prior.value());
}

}  // namespace

TEST(CategoryPrior, GivesTheGainOfThePromptsCategory) {
  const auto rows = three_categories();
  const auto prior = trained(rows);
  EXPECT_EQ(prior.categories(), 3u);
  // Each category's mean is shrunk toward the overall mean (0) by 20 pseudo-rows.
  const double shrunk = 100.0 / 120.0;
  EXPECT_NEAR(prior.gain(words_of("the plaintiff appealed to the court")), shrunk, 0.01);
  EXPECT_NEAR(prior.gain(words_of("hello friend, your weekend?")), 0.0, 0.01);
  EXPECT_NEAR(prior.gain(words_of("a sonnet about roses")), -shrunk, 0.01);
  // No word seen in training: the categories' own frequencies decide (equal here).
  EXPECT_NEAR(prior.gain(words_of("zyxxy qwertz")), 0.0, 1e-9);
  EXPECT_NEAR(prior.gain(PromptWords{}), 0.0, 1e-9);
}

TEST(CategoryPrior, ReadsOnlyTheFirstWordsOfALongPrompt) {
  const auto prior = trained(three_categories());
  std::string text = "the plaintiff appealed";
  for (std::size_t i = 0; i < PromptWords::kMax; ++i) text += " court";
  // Past the cap, words are not read: a poem's words there change nothing.
  const double before = prior.gain(words_of(text));
  EXPECT_EQ(prior.gain(words_of(text + " sonnet moon roses sonnet moon roses")), before);
  EXPECT_GT(before, 0.8);
}

TEST(CategoryPrior, NeedsTwoCategories) {
  std::vector<LabeledPrompt> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(row("only", "some prompt", 0, 1));
  EXPECT_FALSE(CategoryPrior::train(pointers(rows), kPair, CategoryPriorOptions{}));
}

TEST(CategoryPrior, PoolsTheRarestCategoriesPastTheLaneCount) {
  std::vector<LabeledPrompt> rows;
  // 70 categories; category k has 100 - k rows, so the rarest ones share a lane.
  for (int k = 0; k < 70; ++k)
    for (int i = 0; i < 100 - k; ++i) {
      const auto name = "topic" + std::to_string(k);
      rows.push_back(row(name, "question about " + name + " number " + std::to_string(i), k % 2 == 0 ? 0 : 1, 1));
    }
  const auto prior = trained(rows);
  EXPECT_EQ(prior.categories(), CategoryPrior::kMaxCategories);
  EXPECT_GT(prior.gain(words_of("question about topic0")), 0.7);  // its own lane: gain 1
  EXPECT_LT(prior.gain(words_of("question about topic1")), 0.2);  // gain 0, shrunk toward 0.5
}

TEST(CategoryPrior, RoundTripsAndRejectsCorruptFiles) {
  const auto prior = trained(three_categories());
  std::stringstream file;
  prior.save(file);
  const std::string bytes = file.str();
  auto loaded = CategoryPrior::load(file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  for (const char* text : {"the court ruled", "hello friend", "a sonnet", "nothing known"})
    EXPECT_EQ(loaded->gain(words_of(text)), prior.gain(words_of(text))) << text;

  const auto fails = [](std::string data, const std::string& expected) {
    std::istringstream in(data);
    auto r = CategoryPrior::load(in);
    ASSERT_FALSE(r) << expected;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
  };
  fails("", "bad magic");
  fails(bytes.substr(0, bytes.size() - 2), "truncated entries");
  fails(bytes.substr(0, 20), "truncated category table");
  std::string bad_lane = bytes;
  bad_lane[bad_lane.size() - 2] = 9;  // the last entry's category: only 3 exist
  fails(bad_lane, "category that does not exist");
  std::string bad_count = bytes;
  bad_count[8] = 1;  // one category
  fails(bad_count, "bad category count");
}

TEST(OutcomeModel, AddsTheCategoryPriorAndKeepsItWhenSaved) {
  const auto rows = three_categories();
  OutcomeTrainOptions opt;
  opt.features.hash_bits = 16;
  auto model = OutcomeModel::train(pointers(rows), kPair, opt);
  std::vector<Feature> scratch;
  const double law = model.score("the court ruled on statute 3", scratch);
  const double poem = model.score("write a sonnet about the moon", scratch);
  EXPECT_GT(law, poem + 0.5);

  const std::string path = ::testing::TempDir() + "/outcome-prior-" + std::to_string(::getpid()) + ".model";
  ASSERT_TRUE(model.save(path));
  auto loaded = OutcomeModel::load(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_NEAR(loaded->score("the court ruled on statute 3", scratch), law, 0.01);
  EXPECT_NEAR(loaded->score("write a sonnet about the moon", scratch), poem, 0.01);

  // A version 1 file (no category prior) still loads.
  std::vector<LabeledPrompt> one_category = rows;
  for (auto& r : one_category) r.category.clear();
  ASSERT_TRUE(OutcomeModel::train(pointers(one_category), kPair, opt).save(path));
  std::string v2;
  {
    std::ifstream in(path, std::ios::binary);
    v2.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string none = "category-prior none\n";
  ASSERT_EQ(v2.substr(v2.size() - none.size()), none);
  std::string v1 = v2.substr(0, v2.size() - none.size());
  v1[v1.find('\n') - 1] = '1';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v1;
  EXPECT_TRUE(OutcomeModel::load(path)) << "version 1";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v2.substr(0, v2.size() - 3);
  auto truncated = OutcomeModel::load(path);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("category prior"), std::string::npos) << truncated.error().message;
  std::remove(path.c_str());
}

}  // namespace fulcrum
