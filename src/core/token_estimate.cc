#include "core/token_estimate.h"

#include <algorithm>
#include <cmath>

namespace fulcrum {

std::int64_t count_code_points(std::string_view text) {
  // Code points = bytes that are not UTF-8 continuation bytes, counted in
  // blocks of 255 with a byte-wide counter so the loop vectorises without
  // widening every byte to 64 bits.
  std::int64_t code_points = 0;
  for (std::size_t i = 0; i < text.size(); i += 255) {
    const std::size_t end = std::min(text.size(), i + 255);
    unsigned char block = 0;
    for (std::size_t k = i; k < end; ++k) block += static_cast<unsigned char>((static_cast<unsigned char>(text[k]) & 0xC0) != 0x80);
    code_points += block;
  }
  return code_points;
}

std::int64_t estimate_tokens_of(std::int64_t code_points, double chars_per_token) {
  if (code_points <= 0) return 0;
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(code_points) / chars_per_token));
}

std::int64_t estimate_tokens(std::string_view text, double chars_per_token) {
  return estimate_tokens_of(count_code_points(text), chars_per_token);
}

}  // namespace fulcrum
