#include "learn/shape_model.h"

#include "learn/text_features.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <istream>
#include <ostream>

namespace fulcrum {

namespace {

// Each byte is one of eight classes (one table lookup). What a pair of
// consecutive classes adds to the counts is another lookup: four 16-bit
// counters packed in each of two words, so the loop has no branch on the text
// (the classes change every few bytes, which a branchy loop mispredicts).
enum ByteClass : std::uint8_t { kOther, kLower, kUpper, kDigit, kSpace, kNewline, kStop, kComma };
constexpr std::array<std::uint8_t, 256> kClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLower;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kUpper;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t[' '] = t['\t'] = t['\r'] = kSpace;
  t['\n'] = kNewline;
  t['.'] = t['!'] = t['?'] = kStop;
  t[','] = kComma;
  return t;
}();

constexpr bool letter(int c) { return c == kLower || c == kUpper; }
constexpr bool blank(int c) { return c == kSpace || c == kNewline; }
// Lanes of the first word: words, capitalised words, numbers, sentences;
// of the second: commas, lines, letters.
constexpr std::uint64_t lane(int k) { return std::uint64_t{1} << (16 * k); }
struct PairTables {
  std::array<std::uint64_t, 64> first{}, second{};
};
constexpr PairTables kPairs = [] {
  PairTables t;
  for (int prev = 0; prev < 8; ++prev)
    for (int cur = 0; cur < 8; ++cur) {
      const int i = prev * 8 + cur;
      const bool word_start = letter(cur) && !letter(prev);
      t.first[i] = (word_start ? lane(0) : 0) + (word_start && cur == kUpper ? lane(1) : 0) +
                   // "3.14" is one number: a digit run after a stop does not start one.
                   (cur == kDigit && prev != kDigit && prev != kStop ? lane(2) : 0) +
                   (prev == kStop && blank(cur) ? lane(3) : 0);
      t.second[i] = (cur == kComma ? lane(0) : 0) + (cur == kNewline ? lane(1) : 0) + (letter(cur) ? lane(2) : 0);
    }
  return t;
}();

struct ShapeCounts {
  double words = 0, capitalised = 0, distinct = 0, numbers = 0, sentences = 0, commas = 0, lines = 0, letters = 0;
};

// At most 65,535 bytes a call (the 16-bit lanes would overflow): a window's
// head or tail (learn/text_features.h) is far less.
void count_shape(std::string_view text, ShapeCounts& n) {
  std::uint64_t first = 0, second = 0;
  unsigned prev = kSpace;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const unsigned b = i < text.size() ? p[i] : ' ';  // a space after the end closes the last word
    const unsigned c = kClass[b];
    first += kPairs.first[prev * 8 + c];
    second += kPairs.second[prev * 8 + c];
    prev = c;
  }
  auto field = [](std::uint64_t word, int k) { return static_cast<double>((word >> (16 * k)) & 0xFFFF); };
  n.words += field(first, 0);
  n.capitalised += field(first, 1);
  n.numbers += field(first, 2);
  n.sentences += field(first, 3);
  n.commas += field(second, 0);
  n.lines += field(second, 1);
  n.letters += field(second, 2);
}

}  // namespace

ShapeVector prompt_shape(const PromptWindow& text, const PromptWords& words) {
  ShapeCounts n;
  // A long prompt is read as its head and tail, as the text features are
  // (learn/text_features.h), and its counts scaled up to its whole length:
  // the cost stays bounded whatever the prompt's size.
  count_shape(text.head, n);
  double scale = 1;
  if (!text.tail.empty()) {
    count_shape(text.tail, n);
    scale = static_cast<double>(text.total_chars) / static_cast<double>(text.head.size() + text.tail.size());
  }
  // Distinct words among the first PromptWords::kMax the text features read
  // (their hashes, in a bitset: a collision undercounts by one).
  std::uint64_t seen[1024 / 64] = {};
  for (std::size_t k = 0; k < words.count; ++k) {
    const std::uint32_t bit = (words.hash[k] * 0x9E3779B1u) >> 22;  // 10 bits
    const std::uint64_t mask = std::uint64_t{1} << (bit & 63);
    n.distinct += (seen[bit >> 6] & mask) == 0;
    seen[bit >> 6] |= mask;
  }
  // Sizes as logs, the rest as shares of the words: a share stays in its
  // training range on a prompt far shorter than any training row ("hi, how
  // are you?"), where correlated log counts extrapolated the wrong way.
  const double per_word = n.words > 0 ? 1 / n.words : 0;
  return {std::log1p(static_cast<double>(text.total_chars)),
          std::log1p(scale * n.words),
          words.count > 0 ? n.distinct / static_cast<double>(words.count) : 0.0,
          n.capitalised * per_word,
          std::log1p(scale * n.numbers),
          n.sentences * per_word,
          n.commas * per_word,
          std::log1p(scale * n.lines),
          n.letters * per_word};
}

ShapeModel ShapeModel::train(const std::vector<ShapeVector>& x, const std::vector<double>& y) {
  ShapeModel m;
  if (x.empty()) return m;
  const double n = static_cast<double>(x.size());
  for (const auto& v : x)
    for (std::size_t j = 0; j < kShapeFeatures; ++j) m.mean_[j] += v[j] / n;
  ShapeVector var{};
  for (const auto& v : x)
    for (std::size_t j = 0; j < kShapeFeatures; ++j) var[j] += (v[j] - m.mean_[j]) * (v[j] - m.mean_[j]) / n;
  for (std::size_t j = 0; j < kShapeFeatures; ++j) m.inv_sd_[j] = var[j] > 1e-12 ? 1 / std::sqrt(var[j]) : 0;

  // Nine weights: plain full-batch descent converges in a few hundred steps.
  constexpr int kSteps = 300;
  constexpr double kRate = 1.0, kL2 = 1e-3;
  for (int step = 0; step < kSteps; ++step) {
    ShapeVector grad{};
    double grad_bias = 0;
    for (std::size_t r = 0; r < x.size(); ++r) {
      const double z = m.margin(x[r]);
      const double err = 1 / (1 + std::exp(-z)) - y[r];
      grad_bias += err;
      for (std::size_t j = 0; j < kShapeFeatures; ++j) grad[j] += err * (x[r][j] - m.mean_[j]) * m.inv_sd_[j];
    }
    m.bias_ -= kRate * grad_bias / n;
    for (std::size_t j = 0; j < kShapeFeatures; ++j) m.weight_[j] -= kRate * (grad[j] / n + kL2 * m.weight_[j]);
  }
  return m;
}

double ShapeModel::margin(const ShapeVector& x) const {
  double z = bias_;
  for (std::size_t j = 0; j < kShapeFeatures; ++j) z += weight_[j] * (x[j] - mean_[j]) * inv_sd_[j];
  return z;
}

void ShapeModel::save(std::ostream& out) const {
  out.precision(17);
  out << "shape " << kShapeFeatures << ' ' << bias_;
  for (std::size_t j = 0; j < kShapeFeatures; ++j) out << ' ' << mean_[j] << ' ' << inv_sd_[j] << ' ' << weight_[j];
  out << '\n';
}

Result<ShapeModel> ShapeModel::load(std::istream& in) {
  std::string word;
  std::size_t count = 0;
  ShapeModel m;
  if (!(in >> word >> count) || word != "shape" || count != kShapeFeatures)
    return make_error(Errc::invalid_request, "shape model: expected 'shape 9'");
  if (!(in >> m.bias_)) return make_error(Errc::invalid_request, "shape model: bad bias");
  for (std::size_t j = 0; j < kShapeFeatures; ++j)
    if (!(in >> m.mean_[j] >> m.inv_sd_[j] >> m.weight_[j]) || !std::isfinite(m.mean_[j]) ||
        !std::isfinite(m.inv_sd_[j]) || !std::isfinite(m.weight_[j]))
      return make_error(Errc::invalid_request, "shape model: bad weights");
  if (!std::isfinite(m.bias_)) return make_error(Errc::invalid_request, "shape model: bad bias");
  in.ignore(1, '\n');
  return m;
}

}  // namespace fulcrum
