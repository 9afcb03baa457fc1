#include "learn/text_features.h"

#include <algorithm>
#include <cmath>

namespace fulcrum {
namespace {

constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

inline std::uint64_t fnv(std::uint64_t h, unsigned char c) { return (h ^ c) * kFnvPrime; }

std::uint64_t fnv_str(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = fnv(h, c);
  return h;
}

// ASCII rules, not <cctype>: locale-independent, so features are the same
// everywhere. One table lookup per byte: `lower` is 0 for a separator, else the
// lower-cased byte; `kind` flags digits and the separators the shape features count.
enum CharKind : unsigned char { kDigit = 1, kNewline = 2, kMath = 4, kCode = 8 };
struct CharTable {
  unsigned char lower[256];
  unsigned char kind[256];
  constexpr CharTable() : lower(), kind() {
    for (int c = 0; c < 256; ++c) {
      const bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
      lower[c] = static_cast<unsigned char>(!word ? 0 : (c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    for (int c = '0'; c <= '9'; ++c) kind[c] = kDigit;
    kind[static_cast<int>('\n')] = kNewline;
    for (char c : {'=', '+', '^', '*', '/', '$'}) kind[static_cast<int>(c)] = kMath;
    for (char c : {'{', '}', ';', '(', '_'}) kind[static_cast<int>(c)] = kCode;
  }
};
constexpr CharTable kChars;

inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 32;
  x *= 0x9E3779B97F4A7C15ULL;
  return x ^ (x >> 29);
}

constexpr std::uint64_t kWordSeed = 0x11;
constexpr std::uint64_t kChunkStep = 0x632BE59BD9B4E019ULL;
constexpr std::size_t kMaxWord = 64;  // longer words are cut: their hash reads 64 bytes

inline std::uint32_t gram_hash(std::uint32_t gram) {
  return static_cast<std::uint32_t>(((static_cast<std::uint64_t>(gram) ^ 0x33) * 0x9E3779B97F4A7C15ULL) >> 20);
}

// The feature pass over a prompt's text, writing through a raw pointer into
// storage sized for the worst case, with all state in locals: a vector's
// push_back and by-reference lambdas kept the state in memory, reloaded after
// every store (the pass ran ~2x slower). Every hash is built incrementally as
// bytes arrive; reading back bytes just written as one wide load stalls on
// store forwarding.
//   word hash: (0x11 + length), then per 8-byte little-endian zero-padded chunk
//              h = mix(h ^ chunk) + kChunkStep;
//   4-grams:   the 4 bytes of "<word>" at each offset as one little-endian
//              integer, mixed by one multiply.
class FeatureWriter {
 public:
  FeatureWriter(Feature* out, std::uint32_t mask, const FeatureOptions& opt, PromptWords* first_words)
      : out_(out), mask_(mask), bigrams_(opt.bigrams), char_ngrams_(opt.char_ngrams), words_(first_words) {}

  void read(std::string_view part) {
    // The counters in locals: as members GCC kept them in memory.
    std::size_t digits_seen = 0, lines_seen = 0, math_seen = 0, code_seen = 0;
    for (unsigned char c : part) {
      const unsigned char kind = kChars.kind[c];
      if (const unsigned char lc = kChars.lower[c]) {
        digits_seen += kind & kDigit;
        if (wlen_ == kMaxWord) continue;
        chunk_ |= static_cast<std::uint64_t>(lc) << shift_;
        shift_ += 8;
        if (shift_ == 64) {
          chunks_[full_chunks_++] = chunk_;
          chunk_ = 0;
          shift_ = 0;
        }
        gram_ = (gram_ >> 8) | (static_cast<std::uint32_t>(lc) << 24);
        if (wlen_ >= 2) grams_[wlen_ - 2] = gram_hash(gram_);
        ++wlen_;
        continue;
      }
      flush_word();
      lines_seen += (kind & kNewline) != 0;
      math_seen += (kind & kMath) != 0;
      code_seen += (kind & kCode) != 0;
    }
    flush_word();
    digits += digits_seen;
    lines += lines_seen;
    math += math_seen;
    code += code_seen;
  }

  void cut() { have_prev_ = false; }  // no bigram across a cut
  void add(std::uint64_t h, float v) { *out_++ = {static_cast<std::uint32_t>(h & mask_), v}; }
  Feature* end() const { return out_; }

  std::size_t words = 0, digits = 0, lines = 1, math = 0, code = 0, char_grams = 0;

 private:
  void flush_word() {
    if (wlen_ == 0) return;
    std::uint64_t hw = kWordSeed + wlen_;
    for (std::size_t i = 0; i < full_chunks_; ++i) hw = mix(hw ^ chunks_[i]) + kChunkStep;
    if (shift_ != 0) hw = mix(hw ^ chunk_) + kChunkStep;
    add(hw, 1.0f);
    if (words_ && words_->count < PromptWords::kMax) words_->hash[words_->count++] = static_cast<std::uint32_t>(hw);
    if (bigrams_ && have_prev_) add((prev_word_ * 31) ^ hw ^ 0x2222, 1.0f);
    if (char_ngrams_ && wlen_ >= 4) {
      grams_[wlen_ - 2] = gram_hash((gram_ >> 8) | (static_cast<std::uint32_t>('>') << 24));
      const std::size_t n = wlen_ - 1;
      for (std::size_t i = 0; i < n; ++i) *out_++ = {grams_[i] & mask_, 0.5f};
      char_grams += n;
    }
    prev_word_ = hw;
    have_prev_ = true;
    ++words;
    wlen_ = 0;
    full_chunks_ = 0;
    chunk_ = 0;
    shift_ = 0;
    gram_ = static_cast<std::uint32_t>('<') << 24;
  }

  Feature* out_;
  const std::uint32_t mask_;
  const bool bigrams_, char_ngrams_;
  PromptWords* const words_;
  std::size_t wlen_ = 0;
  std::uint64_t chunk_ = 0;  // the word's current chunk, filled from the low byte
  unsigned shift_ = 0;
  std::size_t full_chunks_ = 0;
  std::uint64_t chunks_[kMaxWord / 8];
  std::uint32_t gram_ = static_cast<std::uint32_t>('<') << 24;
  std::uint32_t grams_[kMaxWord];  // hashed 4-grams of the current word
  std::uint64_t prev_word_ = 0;
  bool have_prev_ = false;
};

}  // namespace

float extract_text_features(const PromptWindow& text, const FeatureOptions& opt, std::vector<Feature>& out,
                            bool normalize, PromptWords* words) {
  const std::uint32_t mask = (1u << opt.hash_bits) - 1;
  // A long prompt is read as its head and its tail: the instructions and the
  // question, not the whole document between them. This bounds the routing
  // decision's cost whatever the prompt's size, and training reads prompts
  // the same way.
  const std::size_t read_chars = text.head.size() + text.tail.size();
  // At most a unigram, a bigram and a 4-gram per byte read, plus 7 shape
  // features. resize() only grows the reused vector's storage once.
  const std::size_t bound = 3 * read_chars + 8;
  if (out.size() < bound) out.resize(bound);
  if (words) words->count = 0;
  FeatureWriter w(out.data(), mask, opt, words);
  w.read(text.head);
  if (!text.tail.empty()) {
    w.cut();
    w.read(text.tail);
  }

  // Shape features, bucketed so the linear model can learn non-linear effects.
  auto bucket = [&](const char* name, double x) {
    const int b = x <= 0 ? 0 : 1 + static_cast<int>(std::log2(1 + x));
    w.add(fnv_str(kFnvOffset ^ 0x44, name) + static_cast<std::uint64_t>(b) * kFnvPrime, 1.0f);
  };
  bucket("len", static_cast<double>(text.total_chars));
  bucket("words", static_cast<double>(w.words));
  bucket("digits", static_cast<double>(w.digits));
  bucket("lines", static_cast<double>(w.lines));
  bucket("math", static_cast<double>(w.math));
  bucket("code", static_cast<double>(w.code));
  w.add(fnv_str(kFnvOffset, "bias"), 1.0f);
  out.resize(static_cast<std::size_t>(w.end() - out.data()));

  // Squared L2 norm from the counts (weight-1 features and 0.5-weight character
  // n-grams), not by summing 7,500 products one after another.
  const double norm = static_cast<double>(out.size() - w.char_grams) + 0.25 * static_cast<double>(w.char_grams);
  const auto inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 1.0f;
  if (normalize)
    for (auto& f : out) f.value *= inv;
  return inv;
}

PromptWords prompt_words(std::string_view text, std::vector<Feature>& scratch) {
  FeatureOptions words_only;
  words_only.bigrams = false;
  words_only.char_ngrams = false;
  PromptWords words;
  extract_text_features(text, words_only, scratch, /*normalize=*/false, &words);
  return words;
}

}  // namespace fulcrum
