#include <deque>
#include <mutex>
#include <unordered_map>

#include "state/state_store.h"

namespace fulcrum {
namespace {

using Clock = std::chrono::steady_clock;

class LocalStore final : public StateStore {
 public:
  explicit LocalStore(std::size_t max_values) : max_values_(max_values) {}

  Result<std::int64_t> add(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) override {
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    auto& c = live_counter(key, ttl, now);
    c.value += delta;
    return c.value;
  }

  Result<std::optional<std::int64_t>> add_if_at_most(std::string_view key, std::int64_t delta, std::int64_t limit,
                                                     std::chrono::milliseconds ttl) override {
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    auto& c = live_counter(key, ttl, now);
    if (c.value + delta > limit) return std::optional<std::int64_t>();
    c.value += delta;
    return std::optional<std::int64_t>(c.value);
  }

  Result<std::int64_t> get(std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto it = counters_.find(std::string(key));
    if (it == counters_.end() || it->second.expires <= Clock::now()) return std::int64_t{0};
    return it->second.value;
  }

  Result<std::optional<std::string>> get_value(std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto it = values_.find(std::string(key));
    if (it == values_.end() || it->second.expires <= Clock::now()) return std::optional<std::string>();
    return std::optional<std::string>(it->second.value);
  }

  Status put_value(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = values_.insert_or_assign(std::string(key), Value{std::string(value), Clock::now() + ttl});
    if (fresh) order_.push_back(it->first);
    while (values_.size() > max_values_ && !order_.empty()) {
      values_.erase(order_.front());
      order_.pop_front();
    }
    return Ok{};
  }

  std::string describe() const override { return "local"; }

 private:
  struct Counter {
    std::int64_t value;
    Clock::time_point expires;
  };
  struct Value {
    std::string value;
    Clock::time_point expires;
  };
  // The counter `key`, created at 0 (expiring `ttl` from now) when absent or expired. Under mutex_.
  Counter& live_counter(std::string_view key, std::chrono::milliseconds ttl, Clock::time_point now) {
    sweep(now);
    auto [it, fresh] = counters_.try_emplace(std::string(key), Counter{0, now + ttl});
    if (!fresh && it->second.expires <= now) it->second = Counter{0, now + ttl};
    return it->second;
  }
  // Counters are per key and minute/day: drop the expired ones now and then.
  void sweep(Clock::time_point now) {
    if (++ops_ % 4096 != 0) return;
    std::erase_if(counters_, [now](const auto& kv) { return kv.second.expires <= now; });
  }

  std::mutex mutex_;
  std::unordered_map<std::string, Counter> counters_;
  std::unordered_map<std::string, Value> values_;
  std::deque<std::string> order_;
  std::size_t max_values_;
  std::uint64_t ops_ = 0;
};

}  // namespace

std::unique_ptr<StateStore> make_local_store(std::size_t max_values) { return std::make_unique<LocalStore>(max_values); }

}  // namespace fulcrum
