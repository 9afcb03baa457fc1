#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
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

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A model file's shape line as files before version 7 wrote it: nine
// features, without the number counts.
std::string with_nine_shape_features(const std::string& file) {
  const auto at = file.find("\nshape ") + 1;
  const auto end = file.find('\n', at);
  std::istringstream fields(file.substr(at, end - at));
  std::string word;
  std::size_t count = 0;
  double v = 0;
  fields >> word >> count >> v;
  std::ostringstream nine;
  nine.precision(17);
  nine << "shape " << kShapeFeaturesBeforeNumbers << ' ' << v;
  for (std::size_t j = 0; j < 3 * kShapeFeaturesBeforeNumbers && fields >> v; ++j) nine << ' ' << v;
  return file.substr(0, at) + nine.str() + file.substr(end);
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
  opt.set_aside_z = 0;  // poetry, which the strong tier always loses, stays in the prior
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

  // Version 1 (no category prior) and 2 (no shape blend) files still load;
  // a version 3 file cut after its prior does not.
  std::vector<LabeledPrompt> one_category = rows;
  for (auto& r : one_category) r.category.clear();
  ASSERT_TRUE(OutcomeModel::train(pointers(one_category), kPair, opt).save(path));
  const std::string v3 = file_text(path);
  const std::string none = "category-prior none\n";
  const auto at = v3.find(none);
  ASSERT_NE(at, std::string::npos);
  ASSERT_NE(v3.find("\nblend ", at), std::string::npos);
  const auto with_version = [](std::string file, char version) {
    file[file.find('\n') - 1] = version;
    return file;
  };
  std::ofstream(path, std::ios::binary | std::ios::trunc) << with_version(v3.substr(0, at), '1');
  EXPECT_TRUE(OutcomeModel::load(path)) << "version 1";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << with_version(v3.substr(0, at + none.size()), '2');
  EXPECT_TRUE(OutcomeModel::load(path)) << "version 2";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v3.substr(0, at + none.size());
  auto no_blend = OutcomeModel::load(path);
  ASSERT_FALSE(no_blend);
  EXPECT_NE(no_blend.error().message.find("blend"), std::string::npos) << no_blend.error().message;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << with_version(v3.substr(0, at + none.size() - 3), '2');
  auto truncated = OutcomeModel::load(path);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("category prior"), std::string::npos) << truncated.error().message;
  std::remove(path.c_str());
}

TEST(OutcomeModel, KeepsEachTiersIsotonicCorrectionWhenSaved) {
  // Enough rows that the held-out fifth fits an isotonic map (IsotonicMap::kMinRows).
  // The weak tier answers well 95% of the time on short prompts and 20% on
  // long ones, a step Platt's one sigmoid only approximates.
  std::vector<LabeledPrompt> rows;
  for (int i = 0; i < 6000; ++i) {
    const bool long_prompt = i % 2 == 0;
    const std::string prompt = long_prompt ? "explain in detail the proof of theorem " + std::to_string(i % 97) +
                                                 " step by step with every lemma"
                                           : "hi " + std::to_string(i % 89);
    const bool weak_good = (i * 7919) % 100 < (long_prompt ? 20 : 95);
    rows.push_back(row("", prompt, weak_good ? 1 : 0, 1));
  }
  OutcomeTrainOptions opt;
  opt.features.hash_bits = 12;
  const auto model = OutcomeModel::train(pointers(rows), kPair, opt);
  std::vector<Feature> scratch;
  const std::string prompt = "explain in detail the proof of theorem 5 step by step with every lemma";
  const double p_weak = model.probabilities(prompt, scratch).weak;
  EXPECT_NEAR(p_weak, 0.2, 0.05);

  const std::string path = ::testing::TempDir() + "/outcome-iso-" + std::to_string(::getpid()) + ".model";
  ASSERT_TRUE(model.save(path));
  auto loaded = OutcomeModel::load(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_NEAR(loaded->probabilities(prompt, scratch).weak, p_weak, 0.005);

  // The same file as version 4 (no familiarity) and as version 3 (no isotonic
  // lines either) loads, the latter with Platt's probability alone.
  const std::string nine = with_nine_shape_features(file_text(path));
  const auto with_version = [](std::string file, char version) {
    file[file.find('\n') - 1] = version;
    return file;
  };
  const auto familiarity_at = nine.find("\nfamiliarity ");
  ASSERT_NE(familiarity_at, std::string::npos);
  const std::string v4 = with_version(nine.substr(0, familiarity_at + 1), '4');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v4;
  auto without_familiarity = OutcomeModel::load(path);
  ASSERT_TRUE(without_familiarity) << without_familiarity.error().message;
  EXPECT_NEAR(without_familiarity->probabilities(prompt, scratch).weak, p_weak, 0.005);
  const auto at = v4.find("isotonic ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stoi(v4.substr(at + 9)), 1) << "the weak tier's map has knots";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << with_version(v4.substr(0, at), '3');
  auto platt_only = OutcomeModel::load(path);
  ASSERT_TRUE(platt_only) << platt_only.error().message;
  EXPECT_NEAR(platt_only->probabilities(prompt, scratch).weak, 0.2, 0.05);
  // A version 4 file cut inside its isotonic lines does not load.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v4.substr(0, at + 12);
  EXPECT_FALSE(OutcomeModel::load(path));
  std::remove(path.c_str());
}

TEST(OutcomeModel, ScalesWhatItLearnedFromWordsByThePromptsFamiliarity) {
  const auto rows = three_categories();
  OutcomeTrainOptions scaled;
  scaled.features.hash_bits = 16;
  scaled.familiarity_floor = 0;
  OutcomeTrainOptions unscaled = scaled;
  unscaled.familiarity_floor = 1;
  const auto model = OutcomeModel::train(pointers(rows), kPair, scaled);
  const auto plain = OutcomeModel::train(pointers(rows), kPair, unscaled);
  std::vector<Feature> scratch;

  // A prompt phrased as the training data is scored as without the scaling.
  const std::string familiar = "the court ruled on statute 4 and the plaintiff appealed";
  EXPECT_DOUBLE_EQ(model.parts(familiar, scratch).familiarity, 1.0);
  EXPECT_DOUBLE_EQ(model.probabilities(familiar, scratch).gain, plain.probabilities(familiar, scratch).gain);
  EXPECT_GT(model.probabilities(familiar, scratch).gain, 0.5);

  // One that shares no phrase with it keeps only its shape's part: with a
  // floor of 0, what the words say (law: escalate) is left out.
  const std::string stranger = "please court a statute plaintiff, ruled appealed and";
  const auto parts = model.parts(stranger, scratch);
  EXPECT_DOUBLE_EQ(parts.familiarity, 0.0);
  const auto& b = model.blend();
  const double shape_only =
      std::clamp(b.gain_mean + b.gain_sd * b.shape_weight * (parts.shape_margin - b.shape_mean) / b.shape_sd, -1.0, 1.0);
  EXPECT_NEAR(model.probabilities(stranger, scratch).gain, shape_only, 1e-9);
  EXPECT_GT(plain.probabilities(stranger, scratch).gain, shape_only + 0.1) << "its words alone say law";

  // The scaling is saved with the model.
  const std::string path = ::testing::TempDir() + "/outcome-familiarity-" + std::to_string(::getpid()) + ".model";
  ASSERT_TRUE(model.save(path));
  auto loaded = OutcomeModel::load(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  // (Within the precision of the saved weights.)
  EXPECT_NEAR(loaded->probabilities(stranger, scratch).gain, model.probabilities(stranger, scratch).gain, 1e-3);
  EXPECT_NEAR(loaded->probabilities(familiar, scratch).gain, model.probabilities(familiar, scratch).gain, 1e-3);
  EXPECT_DOUBLE_EQ(loaded->parts(stranger, scratch).familiarity, 0.0);
  // Cut inside the familiarity table, it does not load.
  const std::string file = file_text(path);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << file.substr(0, file.size() - 4096);
  auto cut = OutcomeModel::load(path);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("familiarity"), std::string::npos) << cut.error().message;
  std::remove(path.c_str());
}

TEST(OutcomeModel, LeansOnTheTaskKindWhereThePromptIsUnfamiliar) {
  const auto rows = three_categories();
  OutcomeTrainOptions with_kind;
  with_kind.features.hash_bits = 16;
  with_kind.kind_weight = 1;
  OutcomeTrainOptions without_kind = with_kind;
  without_kind.kind_weight = 0;
  const auto model = OutcomeModel::train(pointers(rows), kPair, with_kind);
  const auto plain = OutcomeModel::train(pointers(rows), kPair, without_kind);
  const auto& b = model.blend();
  ASSERT_GT(b.gain_sd, 0);
  std::vector<Feature> scratch;

  // A prompt phrased as the training data: what its words taught decides,
  // though it names a kind ("weekend": chat).
  const std::string familiar = "hello friend how was your weekend 3";
  ASSERT_DOUBLE_EQ(model.parts(familiar, scratch).familiarity, 1.0);
  EXPECT_EQ(model.probabilities(familiar, scratch).task_kind.kind(), "chat");
  EXPECT_DOUBLE_EQ(model.probabilities(familiar, scratch).gain, plain.probabilities(familiar, scratch).gain);

  // Prompts that share no phrase with it move by the weight x the score's
  // spread x their demand: code up, a poem down.
  for (const std::string stranger : {"debug this python code for me", "a haiku on autumn rain please"}) {
    const auto p = model.probabilities(stranger, scratch);
    ASSERT_DOUBLE_EQ(p.familiarity, 0.0) << stranger;
    const double demand = p.task_kind.demand();
    ASSERT_NE(demand, 0.0) << stranger;
    EXPECT_NEAR(p.gain - plain.probabilities(stranger, scratch).gain, b.gain_sd * demand, 1e-9) << stranger;
  }

  // The weight is saved with the model (version 6); a version 5 file has none.
  const std::string path = ::testing::TempDir() + "/outcome-kind-" + std::to_string(::getpid()) + ".model";
  ASSERT_TRUE(model.save(path));
  auto loaded = OutcomeModel::load(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_DOUBLE_EQ(loaded->blend().kind_weight, 1.0);
  const std::string file = file_text(path);
  const auto kind_at = file.rfind("task-kind ");
  ASSERT_NE(kind_at, std::string::npos);
  // A version 6 file: the shape without its number counts, the weight kept.
  std::string v6 = with_nine_shape_features(file);
  v6[v6.find('\n') - 1] = '6';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v6;
  auto six = OutcomeModel::load(path);
  ASSERT_TRUE(six) << six.error().message;
  EXPECT_DOUBLE_EQ(six->blend().kind_weight, 1.0);
  std::string v5 = v6.substr(0, v6.rfind("task-kind "));
  v5[v5.find('\n') - 1] = '5';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << v5;
  auto old = OutcomeModel::load(path);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_DOUBLE_EQ(old->blend().kind_weight, 0.0);
  // A bad weight is refused, naming the line.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << file.substr(0, kind_at) << "task-kind -1\n";
  auto bad = OutcomeModel::load(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("task-kind"), std::string::npos) << bad.error().message;
  std::remove(path.c_str());
}

TEST(OutcomeModel, SetsAsideACategoryTheStrongTierReliablyLoses) {
  auto rows = three_categories();
  // A small category the strong tier loses on average, but not reliably.
  for (int i = 0; i < 9; ++i) rows.push_back(row("misc", "misc question " + std::to_string(i), (i + 1) % 2, i % 2));
  EXPECT_EQ(contradicting_categories(pointers(rows), kPair, 3), std::vector<std::string>{"poetry"});
  EXPECT_EQ(contradicting_categories(pointers(rows), kPair, 0.1), (std::vector<std::string>{"misc", "poetry"}));

  // Without the prior, the gain score alone: poems learned as "never escalate"
  // only when their rows are kept.
  OutcomeTrainOptions opt;
  opt.features.hash_bits = 16;
  opt.category_prior_share = 0;
  std::vector<Feature> scratch;
  const std::string poem = "write a sonnet about the moon and roses 3";
  const std::string chat = "hello friend how was your weekend 3";
  opt.set_aside_z = 0;
  const auto kept = OutcomeModel::train(pointers(rows), kPair, opt);
  EXPECT_LT(kept.score(poem, scratch), kept.score(chat, scratch) - 0.05);
  EXPECT_TRUE(kept.set_aside().empty());
  opt.set_aside_z = 3;
  const auto aside = OutcomeModel::train(pointers(rows), kPair, opt);
  EXPECT_EQ(aside.set_aside(), std::vector<std::string>{"poetry"});
  EXPECT_GT(aside.score(poem, scratch), kept.score(poem, scratch) + 0.05);

  // The category prior alone: it too learns poems as "never escalate" only
  // when their rows are kept (it recognises a category by words that prompts
  // outside it share).
  opt.category_prior_share = 1;
  opt.set_aside_z = 0;
  const auto prior_kept = OutcomeModel::train(pointers(rows), kPair, opt);
  opt.set_aside_z = 3;
  const auto prior_aside = OutcomeModel::train(pointers(rows), kPair, opt);
  EXPECT_LT(prior_kept.score(poem, scratch), prior_kept.score(chat, scratch) - 0.05);
  EXPECT_GT(prior_aside.score(poem, scratch), prior_kept.score(poem, scratch) + 0.05);
}

}  // namespace fulcrum
