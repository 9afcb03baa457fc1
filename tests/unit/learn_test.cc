#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/text_search.h"
#include "core/token_estimate.h"
#include "learn/cross_validation.h"
#include "learn/dataset.h"
#include "learn/logistic_model.h"
#include "learn/outcome_model.h"
#include "learn/partial_outcomes.h"
#include "learn/routellm_metrics.h"
#include "synthetic_workload.h"

namespace fulcrum {

// The shipped models were trained on these exact hashes: a change to the
// feature pass that moves any index silently breaks them. Pinned values were
// produced by the byte-at-a-time implementation the fast pass replaced.
TEST(TextFeatures, HashesArePinnedForTheShippedModels) {
  std::vector<Feature> f;
  const float inv = extract_text_features("Solve x^2 = 4; D\xc3\xa9j\xc3\xa0-vu", FeatureOptions{20, true, true}, f, false);
  const std::vector<std::pair<std::uint32_t, float>> expected{
      {992219u, 1.0f},  {727363u, 0.5f},  {193108u, 0.5f}, {682588u, 0.5f}, {993729u, 0.5f},  {603872u, 1.0f},
      {803655u, 1.0f},  {728056u, 1.0f},  {433402u, 1.0f}, {247666u, 1.0f}, {755288u, 1.0f},  {390960u, 1.0f},
      {62428u, 1.0f},   {253677u, 0.5f},  {575915u, 0.5f}, {306711u, 0.5f}, {610530u, 0.5f},  {55816u, 0.5f},
      {247748u, 1.0f},  {723766u, 1.0f},  {37045u, 1.0f},  {343393u, 1.0f}, {1045071u, 1.0f}, {795256u, 1.0f},
      {164559u, 1.0f},  {440844u, 1.0f},  {928746u, 1.0f}};
  ASSERT_EQ(f.size(), expected.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f[i].index, expected[i].first) << "feature " << i;
    EXPECT_EQ(f[i].value, expected[i].second) << "feature " << i;
  }
  EXPECT_FLOAT_EQ(inv, 0.222222224f);
}

TEST(TextFeatures, LongPromptsAreReadAsHeadAndTailWithoutABigramAcrossTheCut) {
  const std::string head(kModelHeadChars, 'a'), middle(5000, ' '), tail(kModelTailChars - 4, 'b');
  // Words longer than 64 bytes are cut to 64: one unigram and 63 4-grams each.
  std::vector<Feature> whole, pieces, scratch;
  extract_text_features(head + middle + "zed " + tail, FeatureOptions{20, true, true}, whole, false);
  extract_text_features(head, FeatureOptions{20, true, true}, pieces, false);
  const auto head_features = pieces.size() - 7;  // without the 7 shape features
  extract_text_features("zed " + tail, FeatureOptions{20, true, true}, scratch, false);
  // head word, then "zed" and the tail word with a bigram between them only.
  EXPECT_EQ(whole.size(), head_features + (scratch.size() - 7) + 7);
  for (std::size_t i = 0; i < head_features; ++i) EXPECT_EQ(whole[i].index, pieces[i].index);
  for (std::size_t i = 0; i + 7 < scratch.size(); ++i) EXPECT_EQ(whole[head_features + i].index, scratch[i].index);
  // The output is reused: a shorter prompt after a long one leaves no stale features.
  extract_text_features("hi", FeatureOptions{20, true, true}, whole, false);
  EXPECT_EQ(whole.size(), 1u + 7u);
}

TEST(TextSearch, FindsACommonLetterNeedleAtEveryPositionAndNothingElse) {
  for (std::size_t len = 0; len < 70; ++len)
    for (std::size_t pos = 0; pos + 5 <= len; ++pos) {
      std::string text(len, 's');  // a haystack full of the first byte
      text.replace(pos, 5, "solve");
      EXPECT_TRUE(contains_common(text, "solve")) << len << " " << pos;
      text[pos + 4] = 'x';
      EXPECT_EQ(contains_common(text, "solve"), text.find("solve") != std::string::npos) << len << " " << pos;
    }
  EXPECT_FALSE(contains_common("sol", "solve"));
  EXPECT_TRUE(contains_common("x", "x"));
}

TEST(TokenEstimate, CountsCodePointsNotBytesAcrossBlocks) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "\xc3\xa9";  // 300 two-byte code points
  text += std::string(700, 'a');
  EXPECT_EQ(estimate_tokens(text, 1.0), 1000);
  EXPECT_EQ(estimate_tokens(text, 4.0), 250);
  EXPECT_EQ(estimate_tokens("", 4.0), 0);
}

TEST(RouteLlmMetrics, MatchesAHandComputedCurve) {
  // Prompts 2 and 4 are the only ones where the strong model gains; the router
  // scores them highest. Worked by hand in the comments.
  const std::vector<double> scores{0.1, 0.9, 0.2, 0.8};
  const std::vector<double> weak{1, 0, 1, 0};
  const std::vector<double> strong{1, 1, 1, 1};
  auto m = routellm_metrics(scores, weak, strong, 2);
  // Edges: quantiles 0, .5, 1 of {0.1, 0.2, 0.8, 0.9} = 0.1, 0.5, 0.9.
  ASSERT_EQ(m.curve.size(), 3u);
  EXPECT_DOUBLE_EQ(m.curve[0].strong_percent, 0);    // > 0.9: nobody
  EXPECT_DOUBLE_EQ(m.curve[0].quality, 50);
  EXPECT_DOUBLE_EQ(m.curve[1].strong_percent, 50);   // >= 0.5: prompts 2 and 4
  EXPECT_DOUBLE_EQ(m.curve[1].quality, 100);
  EXPECT_DOUBLE_EQ(m.curve[2].strong_percent, 100);  // >= 0.1: everyone
  EXPECT_DOUBLE_EQ(m.weak_quality, 50);
  EXPECT_DOUBLE_EQ(m.strong_quality, 100);
  // AUC = .5 x (50+100)/2 + .5 x (100+100)/2 = 87.5; APGR = (87.5 - 50) / (100 - 50).
  EXPECT_DOUBLE_EQ(m.apgr, 0.75);
  // Quality 60 / 75 / 90 is reached at 10% / 25% / 40% strong calls.
  EXPECT_DOUBLE_EQ(m.cpt20, 10);
  EXPECT_DOUBLE_EQ(m.cpt50, 25);
  EXPECT_DOUBLE_EQ(m.cpt80, 40);
}

TEST(RouteLlmMetrics, AnInvertedRouterScoresBelowRandom) {
  const std::vector<double> scores{0.9, 0.1, 0.8, 0.2};
  auto m = routellm_metrics(scores, {1, 0, 1, 0}, {1, 1, 1, 1}, 2);
  EXPECT_DOUBLE_EQ(m.apgr, 0.25);  // AUC = .5 x (50+50)/2 + .5 x (50+100)/2 = 62.5
}

TEST(RouteLlmMetrics, QuantilesAndInterpolationFollowNumpy) {
  const std::vector<double> s{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 0.1), 1.3);
  EXPECT_DOUBLE_EQ(np_interp(2.5, {1, 2, 3}, {10, 20, 30}), 25);
  EXPECT_DOUBLE_EQ(np_interp(0, {1, 2, 3}, {10, 20, 30}), 10);
  EXPECT_DOUBLE_EQ(np_interp(9, {1, 2, 3}, {10, 20, 30}), 30);
}

TEST(Dataset, ReportsTheLineAndFieldOfBadRows) {
  const std::string good = R"({"id":"a","prompt":"p","outcomes":{"w":{"score":1},"s":{"score":0}}})";
  struct Case { std::string text; std::string expected; };
  const Case cases[] = {
      {good + "\n{broken", "x.jsonl:2: (line): not valid JSON"},
      {good + "\n" + R"({"outcomes":{"w":{"score":1}}})", "x.jsonl:2: prompt: is required"},
      {R"({"prompt":"p","outcomes":{"w":{"score":"high"}}})", "x.jsonl:1: outcomes.w.score: is required and must be a number"},
      {R"({"prompt":"p","outcomes":{}})", "x.jsonl:1: outcomes: must be an object"},
      {R"({"prompt":"p","contaminated":"no","outcomes":{"w":{"score":1}}})", "x.jsonl:1: contaminated: must be true or false"},
      {R"({"prompt":7,"outcomes":{"w":{"score":1}}})", "x.jsonl:1: prompt: must be a string"},
      {R"({"prompt":null,"outcomes":{"w":{"score":1}}})", "x.jsonl:1: prompt: is required"},
      {R"({"id":{"n":1},"prompt":"p","outcomes":{"w":{"score":1}}})", "x.jsonl:1: id: must be a string or an integer"},
      {R"({"prompt":"p","conversation":true,"outcomes":{"w":{"score":1}}})", "x.jsonl:1: conversation: must be a string or an integer"},
      {R"({"prompt":"p","conversation":"c","turn":-1,"outcomes":{"w":{"score":1}}})", "x.jsonl:1: turn: must be a non-negative integer"},
      {R"({"prompt":"p","conversation":"c","turn":1.5,"outcomes":{"w":{"score":1}}})", "x.jsonl:1: turn: must be a non-negative integer"},
      {R"({"prompt":"p","conversation":"c","turn":"2","outcomes":{"w":{"score":1}}})", "x.jsonl:1: turn: must be a non-negative integer"},
      {"\n\n", "x.jsonl: the workload has no usable rows"},
  };
  for (const auto& c : cases) {
    auto r = parse_dataset(c.text, "x.jsonl");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos) << r.error().message;
  }
}

TEST(Dataset, ReadsNullAsAbsentAndNumbersAsNames) {
  // What a table exported row by row writes: a missing value as null, a
  // numeric question id, a turn from a float column. A turn with no
  // conversation to join is read on its own and counted.
  const std::string text =
      R"({"id":81,"category":null,"prompt":"first","conversation":81,"turn":1.0,"contaminated":null,"metadata":null,"outcomes":{"w":{"score":1}}})" "\n"
      R"({"id":82,"category":"math","prompt":"second","conversation":81,"turn":2,"outcomes":{"w":{"score":0}}})" "\n"
      R"({"id":null,"prompt":"alone","turn":2,"outcomes":{"w":{"score":1}}})" "\n";
  auto d = parse_dataset(text, "t.jsonl");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->rows.size(), 3u);
  EXPECT_EQ(d->rows[0].id, "81");
  EXPECT_EQ(d->rows[0].category, "");
  EXPECT_EQ(d->rows[0].conversation, "81");
  EXPECT_EQ(d->rows[0].turn, 1);
  EXPECT_FALSE(d->rows[0].contaminated);
  EXPECT_EQ(d->rows[0].metadata_json, "");
  EXPECT_EQ(d->rows[1].routed_text(), "first\nsecond");
  EXPECT_EQ(d->rows[2].id, "t.jsonl:3");
  EXPECT_EQ(d->rows[2].conversation, "");
  EXPECT_EQ(d->rows[2].turn, 0);
  EXPECT_EQ(d->rows[2].routed_text(), "alone");
  EXPECT_EQ(d->turns_without_conversation, 1u);
}

TEST(Dataset, DropsContaminatedRowsAndPicksThePairByMeanScore) {
  const std::string text =
      R"({"id":"1","prompt":"a","outcomes":{"big":{"score":1},"small":{"score":0}}})" "\n"
      R"({"id":"2","prompt":"b","contaminated":true,"outcomes":{"big":{"score":0},"small":{"score":1}}})" "\n"
      R"({"id":"3","prompt":"c","outcomes":{"big":{"score":1},"small":{"score":1},"extra":{"score":0}}})" "\n";
  auto d = parse_dataset(text, "t.jsonl");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rows.size(), 2u);
  EXPECT_EQ(d->models, (std::vector<std::string>{"big", "extra", "small"}));
  EXPECT_FALSE(choose_pair(*d)) << "three models: the pair must be named";
  auto pair = choose_pair(*d, "small", "big");
  ASSERT_TRUE(pair);
  EXPECT_FALSE(choose_pair(*d, "small", "extra")) << "row 1 has no outcome for extra";
  DatasetOptions keep;
  keep.drop_contaminated = false;
  EXPECT_EQ(parse_dataset(text, "t.jsonl", keep)->rows.size(), 3u);
}

TEST(Dataset, ALaterTurnReadsItsConversationSoFarAndItsTurnsShareAFold) {
  // Listed out of order, with turn 1 contaminated: it is dropped, yet the
  // gateway would have been sent it with turn 2.
  const std::string text =
      R"({"id":"b2","prompt":"b two","conversation":"b","turn":2,"outcomes":{"w":{"score":1}}})" "\n"
      R"({"id":"a3","prompt":"a three","conversation":"a","turn":3,"outcomes":{"w":{"score":1}}})" "\n"
      R"({"id":"a1","prompt":"a one","conversation":"a","turn":1,"contaminated":true,"outcomes":{"w":{"score":1}}})" "\n"
      R"({"id":"lone","prompt":"a one","outcomes":{"w":{"score":1}}})" "\n"
      R"({"id":"a2","prompt":"a two","conversation":"a","turn":2,"outcomes":{"w":{"score":1}}})" "\n"
      R"({"id":"b1","prompt":"b one","conversation":"b","turn":1,"outcomes":{"w":{"score":1}}})" "\n";
  auto d = parse_dataset(text, "t.jsonl");
  ASSERT_TRUE(d) << d.error().message;
  std::map<std::string, std::string> read;
  for (const auto& r : d->rows) read[r.id] = std::string(r.routed_text());
  EXPECT_EQ(read.count("a1"), 0u);
  EXPECT_EQ(read["a2"], "a one\na two");
  EXPECT_EQ(read["a3"], "a one\na two\na three");
  EXPECT_EQ(read["b1"], "b one");
  EXPECT_EQ(read["b2"], "b one\nb two");
  EXPECT_EQ(read["lone"], "a one");

  // Many conversations of three turns: every fold holds whole conversations.
  std::string many;
  for (int c = 0; c < 40; ++c)
    for (int t = 1; t <= 3; ++t)
      many += R"({"prompt":"turn )" + std::to_string(t) + R"(","conversation":"c)" + std::to_string(c) +
              R"(","turn":)" + std::to_string(t) + R"(,"outcomes":{"w":{"score":1}}})" "\n";
  auto m = parse_dataset(many, "m.jsonl");
  ASSERT_TRUE(m) << m.error().message;
  const auto fold = assign_folds(m->rows, 5, 7);
  std::map<std::string, std::set<int>> folds_of;
  std::set<int> used;
  for (std::size_t i = 0; i < fold.size(); ++i) {
    folds_of[m->rows[i].conversation].insert(fold[i]);
    used.insert(fold[i]);
  }
  for (const auto& [c, f] : folds_of) EXPECT_EQ(f.size(), 1u) << c;
  EXPECT_EQ(used.size(), 5u);
}


TEST(OutcomeModel, LearnsWhereTheStrongTierGainsAndRoundTrips) {
  auto model = testing::train_synthetic_model(testing::synthetic_workload(400));
  std::vector<Feature> scratch;
  const auto hard = model.probabilities("prove the lemma by induction", scratch);
  const auto easy = model.probabilities("say hello to my friend", scratch);
  EXPECT_GT(hard.gain, easy.gain + 0.3);
  EXPECT_LT(hard.weak, 0.3);
  EXPECT_GT(easy.weak, 0.7);
  EXPECT_GT(hard.strong, 0.7);

  const std::string path = ::testing::TempDir() + "/outcome-" + std::to_string(::getpid()) + ".model";
  ASSERT_TRUE(model.save(path));
  auto loaded = OutcomeModel::load(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  // Saved weights are int8-quantised: the score moves by well under 1%.
  EXPECT_NEAR(loaded->score("prove the lemma by induction", scratch), hard.gain, 0.01);
  EXPECT_EQ(loaded->pair().strong, "strong");

  std::ofstream(path, std::ios::trunc) << "not a model";
  EXPECT_FALSE(OutcomeModel::load(path));
}

}  // namespace fulcrum

#include "learn/domain_classifier.h"

namespace fulcrum {

TEST(DomainClassifier, MapsSubjectsAndLearnsDomains) {
  EXPECT_EQ(domain_of_category("professional_law"), "legal");
  EXPECT_EQ(domain_of_category("clinical_knowledge"), "medical");
  EXPECT_EQ(domain_of_category("math_word_problem"), "math");
  EXPECT_EQ(domain_of_category("world_religions"), "other");
  // One subject per domain, so every lane of the fused weight rows is used.
  const char* texts[][3] = {
      {"clinical_knowledge", "the patient has fever and the doctor prescribes antibiotics", "medical"},
      {"professional_law", "the plaintiff sued the defendant for breach of contract in court", "legal"},
      {"professional_accounting", "the company reports revenue depreciation and taxes on its balance sheet", "finance"},
      {"college_physics", "the electron moves through the magnetic field with constant velocity", "science"},
      {"high_school_mathematics", "solve the equation for x and compute the integral", "math"},
      {"college_computer_science", "the program compiles the function and the algorithm sorts the array", "code"},
      {"world_religions", "the festival celebrates the harvest with songs and dances", "other"}};
  constexpr int kSubjects = static_cast<int>(std::size(texts));
  static_assert(kSubjects == kDomains.size(), "one subject per domain");
  std::vector<LabeledPrompt> rows;
  for (int i = 0; i < 700; ++i) {
    LabeledPrompt r;
    r.category = texts[i % kSubjects][0];
    r.prompt = std::string(texts[i % kSubjects][1]) + " case " + std::to_string(i % 9);
    rows.push_back(r);
  }
  std::vector<const LabeledPrompt*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  FeatureOptions f;
  f.hash_bits = 14;
  auto model = DomainClassifier::train(ptrs, f, TrainOptions{8, 0.1, 1e-6, 1});
  const auto path = ::testing::TempDir() + "/domains-" + std::to_string(::getpid()) + ".model";
  ASSERT_TRUE(model.save(path));
  auto loaded = DomainClassifier::load(path);
  std::remove(path.c_str());
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::vector<Feature> scratch;
  const char* unseen[kSubjects] = {"the doctor examined the patient with fever",
                                   "the defendant appealed the court ruling on the contract",
                                   "the balance sheet shows revenue and taxes",
                                   "the electron in the magnetic field",
                                   "solve for x in the equation",
                                   "the function sorts the array",
                                   "songs and dances at the harvest festival"};
  for (int d = 0; d < kSubjects; ++d) {
    for (const auto* m : {&model, &*loaded}) {
      const auto p = m->predict(unseen[d], scratch);
      EXPECT_EQ(p.domain, texts[d][2]) << unseen[d];
      EXPECT_GT(p.confidence, 0.5) << unseen[d];
    }
  }
}

}  // namespace fulcrum

namespace fulcrum {

TEST(PartialOutcomes, EachMissingTierIsPredictedFromTheRowsThatHaveIt) {
  // The weak tier fails "hard" prompts and answers "easy" ones; each row carries one tier's outcome.
  std::vector<LabeledPrompt> rows;
  for (int i = 0; i < 200; ++i) {
    LabeledPrompt r;
    const bool hard = i % 2 == 0;
    r.id = std::to_string(i);
    r.prompt = (hard ? "integrate the hard recurrence number " : "greet the easy colleague number ") + std::to_string(i);
    if (i % 4 < 2) r.scores["weak"] = hard ? 0.0 : 1.0;
    else r.scores["strong"] = 1.0;
    rows.push_back(r);
  }
  rows.push_back(LabeledPrompt{});  // no outcome at all: dropped
  rows.back().prompt = "nothing";
  OutcomeTrainOptions o;
  o.features.hash_bits = 14;
  o.sgd = TrainOptions{20, 0.5, 1e-6, 1};
  auto done = complete_outcomes(rows, ModelPair{"weak", "strong"}, o);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->dropped, 1u);
  EXPECT_EQ(done->imputed, 200u);
  double hard_weak = 0, easy_weak = 0;
  for (const auto& r : done->rows) {
    ASSERT_EQ(r.scores.size(), 2u);
    if (std::stoi(r.id) % 4 >= 2) (std::stoi(r.id) % 2 == 0 ? hard_weak : easy_weak) += r.scores.at("weak") / 50;
  }
  EXPECT_LT(hard_weak, 0.3) << "predicted: the weak tier fails the hard kind";
  EXPECT_GT(easy_weak, 0.7);

  std::vector<LabeledPrompt> one_tier(rows.begin(), rows.begin() + 2);  // rows 0 and 1: weak only
  auto refused = complete_outcomes(one_tier, ModelPair{"weak", "strong"}, o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("no outcome of strong"), std::string::npos);
}

}  // namespace fulcrum
