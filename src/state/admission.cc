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

Result<const ApiKey*> Admission::authenticate(std::string_view header) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer)
    return make_error(Errc::unauthorized,
                      "You didn't provide an API key. Send your fulcrum key as \"Authorization: Bearer KEY\".");
  auto it = by_hash_.find(sha256_hex(header.substr(kBearer.size())));
  // Never echo the key: a fragment of it in an error or a log is a leak.
  if (it == by_hash_.end()) return make_error(Errc::unauthorized, "Incorrect API key provided.");
  return it->second;
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

Status Admission::admit(const ApiKey& key, std::int64_t prompt_tokens, std::int64_t now) {
  const auto minute = now / kMinuteMs, day = now / kDayMs;
  if (key.daily_budget) {
    auto spent = store_.get(counter("spend", key, day));
    if (!spent) {
      if (auto e = on_store_error(spent.error())) return *e;
    } else {
      on_store_ok();
      if (*spent >= *key.daily_budget)
        return make_error(Errc::budget_exceeded, "key " + key.name + " has spent its daily budget of $" +
                                                     format_usd(*key.daily_budget) + " (spent $" + format_usd(*spent) +
                                                     " today, UTC); it resets at 00:00 UTC");
    }
  }
  if (key.requests_per_minute) {
    auto n = store_.add(counter("rpm", key, minute), 1, std::chrono::milliseconds(2 * kMinuteMs));
    if (!n) {
      if (auto e = on_store_error(n.error())) return *e;
    } else {
      on_store_ok();
      if (*n > *key.requests_per_minute)
        return make_error(Errc::rate_limited, "Rate limit reached for key " + key.name + ": requests_per_minute " +
                                                  std::to_string(*key.requests_per_minute) + ". Try again in " +
                                                  std::to_string((kMinuteMs - now % kMinuteMs + 999) / 1000) + " s.");
    }
  }
  if (key.tokens_per_minute) {
    // Count the prompt now, so a burst cannot overshoot by a minute's worth.
    auto n = store_.add(counter("tpm", key, minute), prompt_tokens, std::chrono::milliseconds(2 * kMinuteMs));
    if (!n) {
      if (auto e = on_store_error(n.error())) return *e;
    } else {
      on_store_ok();
      if (*n > *key.tokens_per_minute) {
        (void)store_.add(counter("tpm", key, minute), -prompt_tokens, std::chrono::milliseconds(2 * kMinuteMs));
        return make_error(Errc::rate_limited, "Rate limit reached for key " + key.name + ": tokens_per_minute " +
                                                  std::to_string(*key.tokens_per_minute) + ". Try again in " +
                                                  std::to_string((kMinuteMs - now % kMinuteMs + 999) / 1000) + " s.");
      }
    }
  }
  return Ok{};
}

void Admission::settle(const ApiKey& key, std::int64_t prompt_estimate, std::int64_t tokens_used, PicoUsd cost,
                       std::int64_t now) {
  if (key.tokens_per_minute && tokens_used != prompt_estimate) {
    auto r = store_.add(counter("tpm", key, now / kMinuteMs), tokens_used - prompt_estimate,
                        std::chrono::milliseconds(2 * kMinuteMs));
    if (!r) on_store_error(r.error());
  }
  if (key.daily_budget && cost > 0) {
    auto r = store_.add(counter("spend", key, now / kDayMs), cost, std::chrono::milliseconds(2 * kDayMs));
    if (!r) on_store_error(r.error());
  }
}

}  // namespace fulcrum
