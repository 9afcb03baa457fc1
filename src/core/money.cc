#include "core/money.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace fulcrum {

std::optional<MicroUsdPerMTok> parse_price_per_mtok(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t whole = 0;
  std::int64_t frac = 0;
  int frac_digits = 0;
  bool seen_dot = false, seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_dot) return std::nullopt;
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    seen_digit = true;
    if (seen_dot) {
      if (++frac_digits > 6) {
        if (c != '0') return std::nullopt;  // more precision than micro-USD
        frac_digits = 6;
        continue;
      }
      frac = frac * 10 + (c - '0');
    } else {
      if (whole > std::numeric_limits<std::int64_t>::max() / 100 / 1000000) return std::nullopt;
      whole = whole * 10 + (c - '0');
    }
  }
  if (!seen_digit) return std::nullopt;
  for (int i = frac_digits; i < 6; ++i) frac *= 10;
  return whole * 1000000 + frac;
}

std::string format_usd(PicoUsd amount) {
  const bool negative = amount < 0;
  const auto mag = static_cast<unsigned long long>(negative ? -amount : amount);
  // On every answer's headers: integer formatting, no printf.
  char buf[48];
  char* p = buf;
  if (negative) *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, mag / 1000000000000ULL).ptr;
  *p++ = '.';
  char frac[16];
  char* frac_end = std::to_chars(frac, frac + sizeof frac, mag % 1000000000000ULL).ptr;
  const auto frac_len = static_cast<std::size_t>(frac_end - frac);
  for (auto i = frac_len; i < 12; ++i) *p++ = '0';
  p = std::copy(frac, frac_end, p);
  std::string s(buf, p);
  while (s.size() > 2 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

std::string format_dollars(double usd) {
  if (!std::isfinite(usd)) return "?";
  if (usd == 0) return "0";
  const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(std::abs(usd)))) + 3, 2, 12);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, usd);
  std::string out(buf);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

}  // namespace fulcrum
