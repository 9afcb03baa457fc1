#pragma once
// Weight rows for the routing hot path: several models' weights for one
// feature bucket side by side, stored as bfloat16 (the top 16 bits of a
// float). Scoring a prompt reads one random row per feature, so the table's
// size decides how many of those reads miss the cache: halving it (float ->
// bf16) made a decision on real prompts markedly faster, while widening a
// bf16 value back to a float is one shift. The saved models are int8, so
// bf16's 8-bit mantissa loses nothing that matters.
// GCC/Clang vector extensions: portable, lowered to the target's SIMD.
#include <bit>
#include <cstdint>
#include <cstring>

namespace fulcrum {

using Float4 = float __attribute__((vector_size(16)));
using Bf16x4 = std::uint16_t __attribute__((vector_size(8)));
using U16x8 = std::uint16_t __attribute__((vector_size(16)));

// Round-to-nearest-even float -> bfloat16 (weights are finite).
inline std::uint16_t to_bf16(float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  return static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

inline float from_bf16(std::uint16_t h) { return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16); }

// Four bf16 weights widened to four floats: interleaving zero halves below
// them is one unpack instruction. (__builtin_convertvector to 32-bit lanes
// then a shift compiled to five, and this runs once or twice per feature on
// the routing hot path.)
inline Float4 widen(Bf16x4 h) {
  const U16x8 bits = __builtin_shufflevector(Bf16x4{}, h, 0, 4, 1, 5, 2, 6, 3, 7);
  Float4 out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

}  // namespace fulcrum
