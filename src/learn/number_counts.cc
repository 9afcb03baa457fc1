#include "learn/number_counts.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace fulcrum {
namespace {

constexpr bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// The first digit or "%" at or after `from`; text.size() when none. Most of a
// prompt is neither, so 16 bytes are tested at a time where SSE2 is there.
std::size_t next_digit_or_percent(const unsigned char* p, std::size_t size, std::size_t from) {
#if defined(__SSE2__) && defined(__x86_64__)
  const __m128i low = _mm_set1_epi8(static_cast<char>(-128 - '0'));
  const __m128i ten = _mm_set1_epi8(static_cast<char>(-128 + 10));
  const __m128i pct = _mm_set1_epi8('%');
  for (; from + 16 <= size; from += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from));
    const __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(b, low), ten);  // b - '0' in [0, 10), one signed compare
    const int mask = _mm_movemask_epi8(_mm_or_si128(digit, _mm_cmpeq_epi8(b, pct)));
    if (mask != 0) return from + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(mask)));
  }
#endif
  while (from < size && !is_digit(p[from]) && p[from] != '%') ++from;
  return from;
}

}  // namespace

void NumberCounter::add(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = next_digit_or_percent(p, size, 0); i < size; i = next_digit_or_percent(p, size, i)) {
    if (p[i] == '%') {
      counts_.percent = true;
      ++i;
      continue;
    }
    // A token: digits, and a "." or "," only where a digit follows it.
    const std::size_t start = i;
    std::uint32_t hash = 2166136261u;  // FNV-1a over the token's bytes
    double value = 0;
    bool whole = true;  // still in the whole part (before the first ".")
    while (i < size) {
      const unsigned char c = p[i];
      if (is_digit(c)) {
        if (whole && value < 1e18) value = value * 10 + (c - '0');  // past 1e18 all are alike
      } else if ((c == '.' || c == ',') && i + 1 < size && is_digit(p[i + 1])) {
        if (c == '.') {
          whole = false;
          counts_.decimal = true;
        }
      } else {
        break;
      }
      hash = (hash ^ c) * 16777619u;
      ++i;
    }
    const auto length = static_cast<double>(i - start);
    counts_.numbers += 1;
    counts_.characters += length;
    counts_.longest = std::max(counts_.longest, length);
    counts_.largest = std::max(counts_.largest, value);
    if (i + 1 < size && p[i] == '/' && is_digit(p[i + 1])) counts_.fraction = true;
    const std::uint32_t bucket = (hash * 0x9E3779B1u) >> 22;  // 10 bits
    const unsigned long long bit = 1ULL << (bucket & 63);
    if (!(seen_[bucket >> 6] & bit)) {
      seen_[bucket >> 6] |= bit;
      counts_.distinct += 1;
    }
  }
}

}  // namespace fulcrum
