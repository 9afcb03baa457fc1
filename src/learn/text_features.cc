#include "learn/text_features.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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
// everywhere. One table lookup per byte: 0 = separator, else the lower-cased byte.
struct CharTable {
  unsigned char lower[256];
  constexpr CharTable() : lower() {
    for (int c = 0; c < 256; ++c) {
      const bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
      lower[c] = static_cast<unsigned char>(!word ? 0 : (c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
  }
};
constexpr CharTable kChars;
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 32;
  x *= 0x9E3779B97F4A7C15ULL;
  return x ^ (x >> 29);
}

// A word's hash from 8-byte chunks (most words are one chunk): a few
// multiplies instead of one per byte.
std::uint64_t hash_word(const char* w, std::size_t len) {
  std::uint64_t h = 0x11 + len;
  for (std::size_t i = 0; i < len; i += 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, w + i, std::min<std::size_t>(8, len - i));
    h = mix(h ^ chunk) + 0x632BE59BD9B4E019ULL;
  }
  return h;
}

}  // namespace

float extract_text_features(std::string_view text, const FeatureOptions& opt, std::vector<Feature>& out,
                            bool normalize) {
  out.clear();
  const std::uint32_t mask = (1u << opt.hash_bits) - 1;
  // Dense features live in the first buckets' namespace via distinct seeds.
  auto add = [&](std::uint64_t h, float v) { out.push_back({static_cast<std::uint32_t>(h & mask), v}); };

  char word[64];
  std::size_t wlen = 0;
  std::uint64_t prev_word = 0;
  bool have_prev = false;
  std::size_t words = 0, digits = 0, lines = 1, math = 0, code = 0, char_grams = 0;
  auto flush_word = [&] {
    if (wlen == 0) return;
    const std::uint64_t hw = hash_word(word, wlen);
    add(hw, 1.0f);
    if (opt.bigrams && have_prev) add((prev_word * 31) ^ hw ^ 0x2222, 1.0f);
    if (opt.char_ngrams && wlen >= 4) {
      char padded[66];
      padded[0] = '<';
      for (std::size_t i = 0; i < wlen; ++i) padded[i + 1] = word[i];
      padded[wlen + 1] = '>';
      const std::string_view p(padded, wlen + 2);
      // Each 4-gram is its 4 bytes as one integer, mixed by one multiply:
      // several times cheaper than hashing byte by byte.
      for (std::size_t i = 0; i + 4 <= p.size(); ++i) {
        std::uint32_t gram;
        std::memcpy(&gram, p.data() + i, 4);
        add(((static_cast<std::uint64_t>(gram) ^ 0x33) * 0x9E3779B97F4A7C15ULL) >> 20, 0.5f);
        ++char_grams;
      }
    }
    prev_word = hw;
    have_prev = true;
    ++words;
    wlen = 0;
  };
  auto read = [&](std::string_view part) {
    for (unsigned char c : part) {
      if (const unsigned char lc = kChars.lower[c]) {
        if (wlen < sizeof word) word[wlen++] = static_cast<char>(lc);
        digits += is_digit(c);
        continue;
      }
      flush_word();
      if (c == '\n') ++lines;
      if (c == '=' || c == '+' || c == '^' || c == '*' || c == '/' || c == '$') ++math;
      if (c == '{' || c == '}' || c == ';' || c == '(' || c == '_') ++code;
    }
    flush_word();
  };
  // A long prompt is read as its head and its tail (kModelHeadChars +
  // kModelTailChars): the instructions and the question, not the whole
  // document between them. This bounds the routing decision's cost whatever
  // the prompt's size, and training reads prompts the same way.
  if (text.size() <= kModelHeadChars + kModelTailChars) {
    read(text);
  } else {
    read(text.substr(0, kModelHeadChars));
    have_prev = false;  // no bigram across the cut
    read(text.substr(text.size() - kModelTailChars));
  }

  // Shape features, bucketed so the linear model can learn non-linear effects.
  auto bucket = [&](const char* name, double x) {
    const int b = x <= 0 ? 0 : 1 + static_cast<int>(std::log2(1 + x));
    add(fnv_str(kFnvOffset ^ 0x44, name) + static_cast<std::uint64_t>(b) * kFnvPrime, 1.0f);
  };
  bucket("len", static_cast<double>(text.size()));
  bucket("words", static_cast<double>(words));
  bucket("digits", static_cast<double>(digits));
  bucket("lines", static_cast<double>(lines));
  bucket("math", static_cast<double>(math));
  bucket("code", static_cast<double>(code));
  add(fnv_str(kFnvOffset, "bias"), 1.0f);

  // Squared L2 norm from the counts (weight-1 features and 0.5-weight character
  // n-grams), not by summing 7,500 products one after another.
  const double norm = static_cast<double>(out.size() - char_grams) + 0.25 * static_cast<double>(char_grams);
  const auto inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 1.0f;
  if (normalize)
    for (auto& f : out) f.value *= inv;
  return inv;
}

}  // namespace fulcrum
