#include "learn/shape_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>

namespace fulcrum {
namespace {

ShapeVector shape_of(std::string_view text) {
  std::vector<Feature> scratch;
  PromptWords words;
  extract_text_features(text, FeatureOptions{}, scratch, false, &words);
  return prompt_shape(text, words);
}

TEST(PromptShape, CountsWhatAPromptAsksFor) {
  const auto s = shape_of("Solve 3.14 * x = 12, then x?\nAlice, Bob and alice agree. Done!");
  auto count = [](double log1p_value) { return std::lround(std::expm1(log1p_value)); };
  EXPECT_EQ(count(s[0]), 62);             // characters
  EXPECT_EQ(count(s[1]), 10);             // words: Solve x then x Alice Bob and alice agree Done
  EXPECT_NEAR(s[2], 11.0 / 13, 1e-9);     // distinct tokens, case folded, of the 13 the text features read
  EXPECT_NEAR(s[3], 4.0 / 10, 1e-9);      // capitalised: Solve Alice Bob Done
  EXPECT_EQ(count(s[4]), 2);              // numbers: 3.14 is one
  EXPECT_NEAR(s[5], 3.0 / 10, 1e-9);      // sentences: "?\n", ". ", "!" at the end
  EXPECT_NEAR(s[6], 2.0 / 10, 1e-9);      // commas
  EXPECT_EQ(count(s[7]), 1);              // lines
  EXPECT_NEAR(s[8], 36.0 / 10, 1e-9);     // mean word length
  const auto empty = shape_of("");
  for (double x : empty) EXPECT_EQ(x, 0.0);
  // A long prompt is read as its head and tail, its counts scaled to the whole.
  std::string long_prompt;
  while (long_prompt.size() < 3 * (kModelHeadChars + kModelTailChars)) long_prompt += "One two, three. ";
  const auto l = shape_of(long_prompt);
  EXPECT_NEAR(std::expm1(l[1]), 3.0 * static_cast<double>(long_prompt.size()) / 16, 40);  // words
  EXPECT_NEAR(l[6], 1.0 / 3, 0.01);  // commas per word
}

// The counting rules byte by byte, to check the 64-bytes-at-a-time pass.
std::array<double, 7> counts_byte_by_byte(std::string_view text) {
  enum { kOther, kLetter, kDigit, kBlank, kStop };
  auto cls = [](unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return kLetter;
    if (c >= '0' && c <= '9') return kDigit;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return kBlank;
    if (c == '.' || c == '!' || c == '?') return kStop;
    return kOther;
  };
  std::array<double, 7> n{};  // words, capitalised, numbers, sentences, commas, lines, letters
  int prev = kBlank;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    const int k = cls(c);
    if (k == kLetter && prev != kLetter) n[0] += 1, n[1] += (c >= 'A' && c <= 'Z');
    if (k == kDigit && prev != kDigit && prev != kStop) n[2] += 1;
    if (k == kBlank && prev == kStop) n[3] += 1;
    n[4] += c == ',';
    n[5] += c == '\n';
    n[6] += k == kLetter;
    prev = k;
  }
  return n;
}

TEST(PromptShape, CountsAsTheRulesSayOnAnyBytes) {
  // Texts of every length around the 64-byte blocks, from an alphabet dense in
  // the classes' edges (letters, digits, stops, blanks, bytes >= 0x80, NUL).
  const std::string alphabet = std::string("aZz@[`{09/:. ,!?\t\r\nA\x80\xff\xe9-_", 26) + std::string(1, '\0');
  std::mt19937 rng(7);
  for (std::size_t len = 0; len < 700; ++len) {
    std::string text;
    for (std::size_t i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    const auto want = counts_byte_by_byte(text);
    const auto got = shape_of(text);
    ASSERT_EQ(got[1], std::log1p(want[0])) << "words, length " << len;
    const double per_word = want[0] > 0 ? 1 / want[0] : 0;
    ASSERT_EQ(got[3], want[1] * per_word) << "capitalised, length " << len;
    ASSERT_EQ(got[4], std::log1p(want[2])) << "numbers, length " << len;
    ASSERT_EQ(got[5], want[3] * per_word) << "sentences, length " << len;
    ASSERT_EQ(got[6], want[4] * per_word) << "commas, length " << len;
    ASSERT_EQ(got[7], std::log1p(want[5])) << "lines, length " << len;
    ASSERT_EQ(got[8], want[6] * per_word) << "letters, length " << len;
  }
}

TEST(ShapeModel, LearnsWhichShapeWinsAndKeepsItWhenSaved) {
  // Long, number-heavy prompts are the ones the strong tier wins.
  std::vector<ShapeVector> x;
  std::vector<double> y;
  for (int i = 0; i < 200; ++i) {
    std::string prompt = "question";
    const bool hard = i % 2 == 0;
    for (int k = 0; k < (hard ? 40 : 3) + i % 7; ++k) prompt += hard ? " item " + std::to_string(k * 17) : " word";
    x.push_back(shape_of(prompt));
    y.push_back(hard ? 1.0 : 0.0);
  }
  const auto model = ShapeModel::train(x, y);
  EXPECT_GT(model.margin(x[0]), 1.0);
  EXPECT_LT(model.margin(x[1]), -1.0);

  std::stringstream file;
  model.save(file);
  auto loaded = ShapeModel::load(file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_DOUBLE_EQ(loaded->margin(x[0]), model.margin(x[0]));

  std::stringstream bad("shape 9 0.1 1 2 nan\n");
  auto refused = ShapeModel::load(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("shape model"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
