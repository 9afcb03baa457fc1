#include "learn/text_features.h"

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

// ASCII rules, not <cctype>: locale-independent, so features are the same everywhere.
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_word_char(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}
inline char to_lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); }

}  // namespace

void extract_text_features(std::string_view text, const FeatureOptions& opt, std::vector<Feature>& out) {
  out.clear();
  const std::uint32_t mask = (1u << opt.hash_bits) - 1;
  // Dense features live in the first buckets' namespace via distinct seeds.
  auto add = [&](std::uint64_t h, float v) { out.push_back({static_cast<std::uint32_t>(h & mask), v}); };

  char word[64];
  std::size_t wlen = 0;
  std::uint64_t prev_word = 0;
  bool have_prev = false;
  std::size_t words = 0, digits = 0, lines = 1, math = 0, code = 0;
  auto flush_word = [&] {
    if (wlen == 0) return;
    std::string_view w(word, wlen);
    const std::uint64_t hw = fnv_str(kFnvOffset ^ 0x11, w);
    add(hw, 1.0f);
    if (opt.bigrams && have_prev) add((prev_word * 31) ^ hw ^ 0x2222, 1.0f);
    if (opt.char_ngrams && wlen >= 4) {
      char padded[66];
      padded[0] = '<';
      for (std::size_t i = 0; i < wlen; ++i) padded[i + 1] = word[i];
      padded[wlen + 1] = '>';
      const std::string_view p(padded, wlen + 2);
      for (std::size_t i = 0; i + 4 <= p.size(); ++i) add(fnv_str(kFnvOffset ^ 0x33, p.substr(i, 4)), 0.5f);
    }
    prev_word = hw;
    have_prev = true;
    ++words;
    wlen = 0;
  };
  for (unsigned char c : text) {
    if (is_word_char(c)) {
      if (wlen < sizeof word) word[wlen++] = to_lower(c);
      digits += is_digit(c);
      continue;
    }
    flush_word();
    if (c == '\n') ++lines;
    if (c == '=' || c == '+' || c == '^' || c == '*' || c == '/' || c == '$') ++math;
    if (c == '{' || c == '}' || c == ';' || c == '(' || c == '_') ++code;
  }
  flush_word();

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

  double norm = 0;
  for (const auto& f : out) norm += static_cast<double>(f.value) * f.value;
  if (norm > 0) {
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (auto& f : out) f.value *= inv;
  }
}

}  // namespace fulcrum
