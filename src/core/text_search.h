#pragma once
// Substring test for needles that start with a common letter ("def ",
// "solve"). string_view::find stops at every occurrence of the needle's first
// byte (a memchr call each), which in prose is every few dozen bytes: ~4 us on
// an 8 KB prompt for three such needles. This tests 16 positions at a time for
// the needle's first two bytes and compares the rest only there. For a needle
// whose first byte is rare ('`', '#', '}') find's memchr is faster: use find.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fulcrum {

// Where `needle` first occurs in `text` at or after `from`, or npos.
inline std::size_t find_common(std::string_view text, std::string_view needle, std::size_t from = 0) {
  const std::size_t n = text.size(), m = needle.size();
  std::size_t i = from;
#if defined(__SSE2__)
  if (m >= 2) {
    const __m128i first = _mm_set1_epi8(needle[0]), second = _mm_set1_epi8(needle[1]);
    // Each step reads text[i, i + 17): candidates start at i .. i + 15.
    for (; i + 17 <= n; i += 16) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + 1));
      auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, second))));
      for (; hits != 0; hits &= hits - 1) {
        const std::size_t at = i + static_cast<std::size_t>(std::countr_zero(hits));
        if (at + m <= n && std::memcmp(text.data() + at, needle.data(), m) == 0) return at;
      }
    }
  }
#endif
  return text.find(needle, i);
}

inline bool contains_common(std::string_view text, std::string_view needle) {
  return find_common(text, needle) != std::string_view::npos;
}

}  // namespace fulcrum
