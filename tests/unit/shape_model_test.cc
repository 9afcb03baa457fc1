#include "learn/shape_model.h"

#include "learn/number_counts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
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
  // How much arithmetic it carries: 3.14 and 12 (one of them a decimal).
  EXPECT_EQ(count(s[9]), 2);              // distinct numbers
  EXPECT_EQ(count(s[10]), 4);             // the longest: "3.14"
  EXPECT_EQ(s[11], 1.0);                  // a decimal
  EXPECT_EQ(s[12], 0.0);                  // no percentage
  EXPECT_EQ(s[13], 0.0);                  // no fraction
  EXPECT_EQ(count(s[14]), 12);            // the largest value
  EXPECT_EQ(count(s[15]), 6);             // characters in numbers
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

TEST(NumberCounts, ReadsEachNumberWithItsSeparators) {
  NumberCounter counter;
  counter.add("Of 1,250 apples, 20% (250/5 = 50) sold at $0.75; 1,250 left. Version 2.0.1 of v3, 7.");
  const auto& n = counter.counts();
  // 1,250  20  250  5  50  0.75  1,250  2.0.1  3  7
  EXPECT_EQ(n.numbers, 10);
  EXPECT_EQ(n.distinct, 9);
  EXPECT_EQ(n.characters, 5 + 2 + 3 + 1 + 2 + 4 + 5 + 5 + 1 + 1);
  EXPECT_EQ(n.longest, 5);
  EXPECT_EQ(n.largest, 1250);
  EXPECT_TRUE(n.decimal);
  EXPECT_TRUE(n.percent);
  EXPECT_TRUE(n.fraction);
  NumberCounter words;
  words.add("No numbers here, nor 100 percent. Nor 1/ or /2 or 3. or 3,");
  EXPECT_EQ(words.counts().numbers, 5);  // 100 1 2 3 3
  EXPECT_FALSE(words.counts().decimal);
  EXPECT_FALSE(words.counts().percent);
  EXPECT_FALSE(words.counts().fraction);
  // Past 1e18 every value is alike, not infinite.
  NumberCounter huge;
  huge.add(std::string(400, '9'));
  EXPECT_TRUE(std::isfinite(huge.counts().largest));
  EXPECT_LE(huge.counts().largest, 1e19);
}

// The token rules byte by byte, to check the 16-bytes-at-a-time search.
NumberCounts numbers_byte_by_byte(const std::string& text) {
  NumberCounts n;
  std::set<std::string> seen;
  auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '%') n.percent = true;
    if (!digit(i)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (digit(end) || ((text[end] == '.' || text[end] == ',') && digit(end + 1))) {
      if (text[end] == '.') n.decimal = true;
      ++end;
    }
    const std::string token = text.substr(i, end - i);
    n.numbers += 1;
    n.characters += static_cast<double>(token.size());
    n.longest = std::max(n.longest, static_cast<double>(token.size()));
    seen.insert(token);
    if (text.size() > end + 1 && text[end] == '/' && digit(end + 1)) n.fraction = true;
    i = end;
  }
  n.distinct = static_cast<double>(seen.size());
  return n;
}

TEST(NumberCounts, CountsAsTheRulesSayOnAnyBytes) {
  const std::string alphabet = "a0193%.,/ x\x80\xff-";  // digits, separators, "%", "/", bytes >= 0x80
  std::mt19937 rng(11);
  for (std::size_t len = 0; len < 400; ++len) {
    std::string text;
    for (std::size_t i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    const auto want = numbers_byte_by_byte(text);
    NumberCounter counter;
    counter.add(text);
    const auto& got = counter.counts();
    ASSERT_EQ(got.numbers, want.numbers) << "length " << len;
    ASSERT_EQ(got.characters, want.characters) << "length " << len;
    ASSERT_EQ(got.longest, want.longest) << "length " << len;
    ASSERT_LE(got.distinct, want.distinct) << "length " << len;  // a hash collision undercounts
    ASSERT_GE(got.distinct, want.distinct - 2) << "length " << len;
    ASSERT_EQ(got.decimal, want.decimal) << "length " << len;
    ASSERT_EQ(got.percent, want.percent) << "length " << len;
    ASSERT_EQ(got.fraction, want.fraction) << "length " << len;
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

  // A file from before the number counts (version 6 and earlier) holds nine:
  // the counts then weigh nothing.
  std::stringstream nine;
  nine.precision(17);
  std::string line;
  {
    std::stringstream again;
    model.save(again);
    std::getline(again, line);
  }
  std::istringstream fields(line);
  std::string word;
  std::size_t count = 0;
  double bias = 0;
  fields >> word >> count >> bias;
  nine << "shape 9 " << bias;
  for (std::size_t j = 0; j < 3 * kShapeFeaturesBeforeNumbers; ++j) {
    double v = 0;
    fields >> v;
    nine << ' ' << v;
  }
  nine << '\n';
  ASSERT_FALSE(ShapeModel::load(nine)) << "nine where sixteen are expected";
  nine.clear();
  nine.seekg(0);
  auto old = ShapeModel::load(nine, kShapeFeaturesBeforeNumbers);
  ASSERT_TRUE(old) << old.error().message;
  auto without_numbers = x[0];
  for (std::size_t j = kShapeFeaturesBeforeNumbers; j < kShapeFeatures; ++j) without_numbers[j] = 1e6;
  EXPECT_DOUBLE_EQ(old->margin(without_numbers), old->margin(x[0])) << "the number counts weigh nothing";

  std::stringstream bad("shape 16 0.1 1 2 nan\n");
  auto refused = ShapeModel::load(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("shape model"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
