#include "state/admission.h"

#include <openssl/evp.h>

#include <spdlog/spdlog.h>

#include "core/money.h"

namespace fulcrum {
namespace {

constexpr std::int64_t kMinuteMs = 60000, kDayMs = 86400000;

std::string counter(std::string_view kind, const ApiKey& key, std::int64_t period) {
  return "fulcrum:" + std::string(kind) + ":" + key.name + ":" + std::to_string(period);
}

// Seconds until the next UTC minute, when a per-minute limit starts afresh.
int seconds_to_next_minute(std::int64_t now) { return static_cast<int>((kMinuteMs - now % kMinuteMs + 999) / 1000); }
std::string retry_in(std::int64_t now) { return std::to_string(seconds_to_next_minute(now)); }

Error rate_limited(const ApiKey& key, std::string_view limit, std::int64_t value, std::int64_t now) {
  auto e = make_error(Errc::rate_limited, "Rate limit reached for key " + key.name + ": " + std::string(limit) + " " +
                                              std::to_string(value) + ". Try again in " + retry_in(now) + " s.");
  e.retry_after_s = seconds_to_next_minute(now);
  return e;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Admission::Admission(const Config& config, StateStore& store, StoreHealth& health)
    : config_(config), store_(store), health_(health) {
  for (const auto& k : config.keys) by_hash_.emplace(k.sha256_hex, &k);
}

std::string presented_key(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ", kBasic = "Basic ";
  if (header.size() > kBearer.size() && header.substr(0, kBearer.size()) == kBearer)
    return std::string(header.substr(kBearer.size()));
  if (header.size() <= kBasic.size() || header.substr(0, kBasic.size()) != kBasic || header.size() > 4096) return {};
  const auto encoded = header.substr(kBasic.size());
  if (encoded.size() % 4 != 0) return {};
  std::string decoded(encoded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(encoded.data()), static_cast<int>(encoded.size()));
  if (n < 0) return {};
  // EVP_DecodeBlock counts the padding's zero bytes too.
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = encoded.size(); i > 0 && encoded[i - 1] == '=' && len > 0; --i) --len;
  decoded.resize(len);
  const auto colon = decoded.find(':');
  return colon == std::string::npos ? std::string() : decoded.substr(colon + 1);
}

bool is_admin_key(const Config& config, std::string_view header) {
  if (config.observability.admin_sha256_hex.empty()) return false;
  const auto key = presented_key(header);
  return !key.empty() && sha256_hex(key) == config.observability.admin_sha256_hex;
}

const ApiKey* Admission::find(std::string_view key) const {
  if (key.empty()) return nullptr;
  auto it = by_hash_.find(sha256_hex(key));
  return it == by_hash_.end() ? nullptr : it->second;
}

Result<const ApiKey*> Admission::authenticate(std::string_view header) const {
  const auto presented = presented_key(header);
  if (presented.empty())
    return make_error(Errc::unauthorized,
                      "You didn't provide an API key. Send your fulcrum key as \"Authorization: Bearer KEY\".");
  // Never echo the key: a fragment of it in an error or a log is a leak.
  const auto* key = find(presented);
  if (!key) return make_error(Errc::unauthorized, "Incorrect API key provided.");
  return key;
}

bool Admission::may_observe(std::string_view header) const {
  return find(presented_key(header)) || is_admin_key(config_, header);
}

std::optional<Error> Admission::on_store_error(const Error& e) {
  if (health_.errors.fetch_add(1, std::memory_order_relaxed) % 1000 == 0 || !health_.down.load())
    spdlog::warn("state store {} failed ({}); {}", store_.describe(), e.message,
                 config_.state.fail_open ? "letting requests through (state.on_error: fail_open)"
                                         : "refusing requests (state.on_error: fail_closed)");
  health_.down.store(true, std::memory_order_relaxed);
  if (config_.state.fail_open) return std::nullopt;
  return make_error(Errc::unavailable, "the shared state store is unavailable; try again shortly");
}

void Admission::on_store_ok() {
  if (health_.down.exchange(false, std::memory_order_relaxed))
    spdlog::info("state store {} is back", store_.describe());
}

Status Admission::count_request(const ApiKey& key, std::int64_t now) {
  if (!key.requests_per_minute) return Ok{};
  auto n = store_.add(counter("rpm", key, now / kMinuteMs), 1, std::chrono::milliseconds(2 * kMinuteMs));
  if (!n) {
    if (auto e = on_store_error(n.error())) return *e;
    return Ok{};
  }
  on_store_ok();
  if (*n > *key.requests_per_minute) return rate_limited(key, "requests_per_minute", *key.requests_per_minute, now);
  return Ok{};
}

Status Admission::admit(const ApiKey& key, std::int64_t prompt_tokens, std::int64_t now) {
  if (auto st = count_request(key, now); !st) return st;
  if (key.tokens_per_minute) {
    // Count the prompt now, so a burst cannot overshoot by a minute's worth.
    const auto minute = now / kMinuteMs;
    auto n = store_.add(counter("tpm", key, minute), prompt_tokens, std::chrono::milliseconds(2 * kMinuteMs));
    if (!n) {
      if (auto e = on_store_error(n.error())) return *e;
    } else {
      on_store_ok();
      if (*n > *key.tokens_per_minute) {
        (void)store_.add(counter("tpm", key, minute), -prompt_tokens, std::chrono::milliseconds(2 * kMinuteMs));
        return rate_limited(key, "tokens_per_minute", *key.tokens_per_minute, now);
      }
    }
  }
  return Ok{};
}

Result<BudgetReservation> Admission::reserve(const ApiKey& key, PicoUsd worst_case, std::int64_t now,
                                             std::string_view why) {
  BudgetReservation r{0, now / kDayMs};
  if (!key.daily_budget || worst_case <= 0) return r;
  const auto name = counter("spend", key, r.day);
  auto held = store_.add_if_at_most(name, worst_case, *key.daily_budget, std::chrono::milliseconds(2 * kDayMs));
  if (!held) {
    if (auto e = on_store_error(held.error())) return *e;
    return r;  // fail-open: nothing held, the real cost is still added at settle
  }
  on_store_ok();
  if (*held) {
    r.amount = worst_case;
    return r;
  }
  auto committed = store_.get(name);
  const PicoUsd left = committed ? std::max<PicoUsd>(0, *key.daily_budget - *committed) : 0;
  auto e = make_error(Errc::budget_exceeded,
                    "key " + key.name + " has too little of its daily budget of $" + format_usd(*key.daily_budget) +
                        " left for this request: it may cost up to $" + format_usd(worst_case) + " (" +
                        std::string(why) + ") and $" + format_usd(left) +
                        " is left today (UTC, spent or held by requests in flight); lower max_tokens, or wait "
                        "for 00:00 UTC");
  // Requests in flight may release what they hold sooner; the budget itself renews at midnight.
  e.retry_after_s = static_cast<int>((kDayMs - now % kDayMs + 999) / 1000);
  return e;
}

void Admission::settle(const ApiKey& key, const BudgetReservation& reservation, std::int64_t prompt_estimate,
                       std::int64_t tokens_used, PicoUsd cost, std::int64_t now) {
  if (key.tokens_per_minute && tokens_used != prompt_estimate) {
    auto r = store_.add(counter("tpm", key, now / kMinuteMs), tokens_used - prompt_estimate,
                        std::chrono::milliseconds(2 * kMinuteMs));
    if (!r) on_store_error(r.error());
  }
  if (key.daily_budget && cost != reservation.amount) {
    const auto day = reservation.day >= 0 ? reservation.day : now / kDayMs;
    auto r = store_.add(counter("spend", key, day), cost - reservation.amount,
                        std::chrono::milliseconds(2 * kDayMs));
    if (!r) on_store_error(r.error());
  }
}

}  // namespace fulcrum
