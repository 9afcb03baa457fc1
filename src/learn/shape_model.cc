#include "learn/shape_model.h"

#include "learn/number_counts.h"
#include "learn/text_features.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <ostream>
#include <string>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace fulcrum {

namespace {

struct ShapeCounts {
  double words = 0, capitalised = 0, distinct = 0, numbers = 0, sentences = 0, commas = 0, lines = 0, letters = 0;
};

#if defined(__SSE2__) && defined(__x86_64__)
// 16 bytes a step, all in vector registers: each class is a byte range or a
// few bytes (a compare or two), "the byte before is a letter" is the letter
// mask moved up one byte with the previous step's last byte shifted in, and
// each count is kept per byte lane (subtracting a 0xFF mask adds one) and
// summed every 255 steps, before a lane can overflow. A byte loop with a
// lookup per pair of classes took ~1.8 cycles a byte; this takes a fraction.
// A word starts at a letter after a non-letter; a number at a digit after
// neither a digit nor a stop ("3.14" is one); a sentence ends at a stop
// followed by a blank or by the text's end.
void count_shape(std::string_view text, ShapeCounts& n) {
  const __m128i zero = _mm_setzero_si128();
  const auto in_range = [](__m128i b, char first, int span) {
    // b - first, moved so that [0, span) lands on [-128, -128 + span): one signed compare.
    const __m128i moved = _mm_add_epi8(b, _mm_set1_epi8(static_cast<char>(-128 - first)));
    return _mm_cmplt_epi8(moved, _mm_set1_epi8(static_cast<char>(-128 + span)));
  };
  const auto is = [](__m128i b, char c) { return _mm_cmpeq_epi8(b, _mm_set1_epi8(c)); };
  const auto after = [](__m128i mask, __m128i before) {  // the mask of each byte's predecessor
    return _mm_or_si128(_mm_slli_si128(mask, 1), _mm_srli_si128(before, 15));
  };
  enum { kWords, kCapitalised, kNumbers, kSentences, kCommas, kLines, kLetters, kCounts };
  __m128i lane_counts[kCounts];
  std::uint64_t totals[kCounts] = {};
  for (auto& c : lane_counts) c = zero;
  const auto sum_lanes = [&] {
    for (int k = 0; k < kCounts; ++k) {
      const __m128i pair = _mm_sad_epu8(lane_counts[k], zero);  // two 64-bit sums of 8 bytes each
      totals[k] += static_cast<std::uint64_t>(_mm_cvtsi128_si64(pair)) +
                   static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(pair, pair)));
      lane_counts[k] = zero;
    }
  };
  // The text starts after a blank: no class carries in.
  __m128i last_letter = zero, last_digit = zero, last_stop = zero;
  const auto step = [&](__m128i b) {
    const __m128i upper = in_range(b, 'A', 26);
    const __m128i letter = _mm_or_si128(in_range(b, 'a', 26), upper);
    const __m128i digit = in_range(b, '0', 10);
    const __m128i newline = is(b, '\n');
    const __m128i blank = _mm_or_si128(_mm_or_si128(is(b, ' '), is(b, '\t')), _mm_or_si128(is(b, '\r'), newline));
    const __m128i stop = _mm_or_si128(_mm_or_si128(is(b, '.'), is(b, '!')), is(b, '?'));
    const __m128i word_start = _mm_andnot_si128(after(letter, last_letter), letter);
    const __m128i prev_stop = after(stop, last_stop);
    lane_counts[kWords] = _mm_sub_epi8(lane_counts[kWords], word_start);
    lane_counts[kCapitalised] = _mm_sub_epi8(lane_counts[kCapitalised], _mm_and_si128(word_start, upper));
    lane_counts[kNumbers] =
        _mm_sub_epi8(lane_counts[kNumbers], _mm_andnot_si128(_mm_or_si128(after(digit, last_digit), prev_stop), digit));
    lane_counts[kSentences] = _mm_sub_epi8(lane_counts[kSentences], _mm_and_si128(prev_stop, blank));
    lane_counts[kCommas] = _mm_sub_epi8(lane_counts[kCommas], is(b, ','));
    lane_counts[kLines] = _mm_sub_epi8(lane_counts[kLines], newline);
    lane_counts[kLetters] = _mm_sub_epi8(lane_counts[kLetters], letter);
    last_letter = letter;
    last_digit = digit;
    last_stop = stop;
  };
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  for (int steps = 0; i + 16 <= text.size(); i += 16) {
    step(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    if (++steps == 255) sum_lanes(), steps = 0;
  }
  if (i < text.size()) {
    // The last bytes, padded with NULs: a NUL is in no class, so it adds nothing.
    unsigned char last[16] = {};
    std::memcpy(last, p + i, text.size() - i);
    step(_mm_loadu_si128(reinterpret_cast<const __m128i*>(last)));
  }
  sum_lanes();
  if (!text.empty()) {
    const unsigned char end = p[text.size() - 1];
    totals[kSentences] += end == '.' || end == '!' || end == '?';
  }
  n.words += static_cast<double>(totals[kWords]);
  n.capitalised += static_cast<double>(totals[kCapitalised]);
  n.numbers += static_cast<double>(totals[kNumbers]);
  n.sentences += static_cast<double>(totals[kSentences]);
  n.commas += static_cast<double>(totals[kCommas]);
  n.lines += static_cast<double>(totals[kLines]);
  n.letters += static_cast<double>(totals[kLetters]);
}
#else
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
#endif

}  // namespace

ShapeVector prompt_shape(const PromptWindow& text, const PromptWords& words) {
  ShapeCounts n;
  // A long prompt is read as its head and tail, as the text features are
  // (learn/text_features.h), and its counts scaled up to its whole length:
  // the cost stays bounded whatever the prompt's size.
  count_shape(text.head, n);
  NumberCounter numbers;
  numbers.add(text.head);
  double scale = 1;
  if (!text.tail.empty()) {
    count_shape(text.tail, n);
    numbers.add(text.tail);
    scale = static_cast<double>(text.total_chars) / static_cast<double>(text.head.size() + text.tail.size());
  }
  // Distinct words among the first PromptWords::kMax the text features read
  // (their hashes, a byte per 10-bit bucket: a collision undercounts by one).
  // Marking with plain stores and counting the marks after: a bitset's
  // read-modify-write chained each word to the last store to its 64 buckets.
  alignas(16) std::uint8_t seen[1024] = {};
  for (std::size_t k = 0; k < words.count; ++k) seen[(words.hash[k] * 0x9E3779B1u) >> 22] = 1;
  std::uint32_t marks = 0;
  for (std::size_t k = 0; k < sizeof seen; k += 8) {
    std::uint64_t eight;
    std::memcpy(&eight, seen + k, sizeof eight);
    marks += static_cast<std::uint32_t>((eight * 0x0101010101010101ULL) >> 56);  // the sum of its eight 0/1 bytes
  }
  n.distinct = marks;
  // Sizes as logs, the rest as shares of the words: a share stays in its
  // training range on a prompt far shorter than any training row ("hi, how
  // are you?"), where correlated log counts extrapolated the wrong way.
  const double per_word = n.words > 0 ? 1 / n.words : 0;
  const NumberCounts& num = numbers.counts();
  return {std::log1p(static_cast<double>(text.total_chars)),
          std::log1p(scale * n.words),
          words.count > 0 ? n.distinct / static_cast<double>(words.count) : 0.0,
          n.capitalised * per_word,
          std::log1p(scale * n.numbers),
          n.sentences * per_word,
          n.commas * per_word,
          std::log1p(scale * n.lines),
          n.letters * per_word,
          std::log1p(num.distinct),
          std::log1p(num.longest),
          num.decimal ? 1.0 : 0.0,
          num.percent ? 1.0 : 0.0,
          num.fraction ? 1.0 : 0.0,
          std::log1p(num.largest),
          std::log1p(scale * num.characters)};
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

  // Sixteen weights: plain full-batch descent converges in a few hundred steps.
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

Result<ShapeModel> ShapeModel::load(std::istream& in, std::size_t features) {
  std::string word;
  std::size_t count = 0;
  ShapeModel m;
  if (!(in >> word >> count) || word != "shape" || count != features)
    return make_error(Errc::invalid_request, "shape model: expected 'shape " + std::to_string(features) + "'");
  if (!(in >> m.bias_)) return make_error(Errc::invalid_request, "shape model: bad bias");
  for (std::size_t j = 0; j < features; ++j)
    if (!(in >> m.mean_[j] >> m.inv_sd_[j] >> m.weight_[j]) || !std::isfinite(m.mean_[j]) ||
        !std::isfinite(m.inv_sd_[j]) || !std::isfinite(m.weight_[j]))
      return make_error(Errc::invalid_request, "shape model: bad weights");
  if (!std::isfinite(m.bias_)) return make_error(Errc::invalid_request, "shape model: bad bias");
  in.ignore(1, '\n');
  return m;
}

}  // namespace fulcrum
