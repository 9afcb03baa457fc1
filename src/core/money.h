#pragma once
// Exact money arithmetic. Prices are held as integer micro-USD per 1M tokens
// (so "$0.0028 per 1M" is 2800), which makes the cost of N tokens exactly
// N * price pico-USD (1e-12 USD). int64 pico-USD covers 9.2 million USD,
// far beyond one request. Decimal strings are parsed exactly, never via double.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum {

using MicroUsdPerMTok = std::int64_t;
using PicoUsd = std::int64_t;

// Bounds that keep every product and sum above inside int64: a token count
// (one an upstream reports, or a client's max_tokens: beyond any model's
// window, so larger is broken or hostile, and is clamped), a configured price,
// and a budget. At the bounds one answer costs at most 3 x 1e8 x 1e9 = 3e17 pico-USD.
inline constexpr std::int64_t kMaxTokenCount = 100'000'000;
inline constexpr MicroUsdPerMTok kMaxPricePerMTok = 1'000'000'000;  // $1,000 per 1M tokens
inline constexpr PicoUsd kMaxBudget = 1'000'000'000'000'000'000;     // $1,000,000

// Parses a non-negative decimal like "0.14", "2.5", "10", "0.003625"
// (at most 6 decimals) into micro-USD. Returns nullopt if malformed.
std::optional<MicroUsdPerMTok> parse_price_per_mtok(std::string_view text);

inline PicoUsd cost_of_tokens(std::int64_t tokens, MicroUsdPerMTok price) { return tokens * price; }

// "0.000123" style, exact, trailing zeros trimmed (at least one decimal).
std::string format_usd(PicoUsd amount);
// A dollar amount for people, never in exponent notation: 0.0000026, 0.00042,
// 10 (four significant digits past the leading zeros, trailing zeros dropped).
std::string format_dollars(double usd);

// The same amount as a double in USD, for metrics and JSON numbers only.
inline double to_usd(PicoUsd amount) { return static_cast<double>(amount) / 1e12; }

}  // namespace fulcrum
