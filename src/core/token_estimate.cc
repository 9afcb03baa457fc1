#include "core/token_estimate.h"

#include <cmath>

namespace fulcrum {

std::int64_t estimate_tokens(std::string_view text, double chars_per_token) {
  std::int64_t code_points = 0;
  for (unsigned char c : text) code_points += (c & 0xC0) != 0x80;
  if (code_points == 0) return 0;
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(code_points) / chars_per_token));
}

}  // namespace fulcrum
