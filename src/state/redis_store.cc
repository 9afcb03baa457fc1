#include <hiredis/hiredis.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include <boost/url/parse.hpp>

#include "state/state_store.h"

namespace fulcrum {
namespace {

using Clock = std::chrono::steady_clock;

// INCRBY that sets the expiry when it creates the key, in one round trip.
constexpr const char* kAddScript =
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return v";

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

class RedisStore final : public StateStore {
 public:
  RedisStore(std::string url, std::string host, int port, int db, std::chrono::milliseconds timeout,
             std::chrono::milliseconds retry_after)
      : url_(std::move(url)), host_(std::move(host)), port_(port), db_(db), timeout_(timeout), retry_after_(retry_after) {}

  Result<std::int64_t> add(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) override {
    const auto d = std::to_string(delta), t = std::to_string(ttl.count());
    const char* argv[] = {"EVAL", kAddScript, "1", key.data(), d.c_str(), t.c_str()};
    const std::size_t lens[] = {4, std::strlen(kAddScript), 1, key.size(), d.size(), t.size()};
    auto r = command(6, argv, lens);
    if (!r) return std::move(r).error();
    if ((*r)->type != REDIS_REPLY_INTEGER) return error("unexpected reply to EVAL");
    return static_cast<std::int64_t>((*r)->integer);
  }

  Result<std::int64_t> get(std::string_view key) override {
    auto v = get_value(key);
    if (!v) return std::move(v).error();
    if (!*v) return std::int64_t{0};
    return static_cast<std::int64_t>(std::stoll(**v));
  }

  Result<std::optional<std::string>> get_value(std::string_view key) override {
    const char* argv[] = {"GET", key.data()};
    const std::size_t lens[] = {3, key.size()};
    auto r = command(2, argv, lens);
    if (!r) return std::move(r).error();
    if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if ((*r)->type != REDIS_REPLY_STRING) return error("unexpected reply to GET");
    return std::optional<std::string>(std::string((*r)->str, (*r)->len));
  }

  Status put_value(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override {
    const auto t = std::to_string(ttl.count());
    const char* argv[] = {"SET", key.data(), value.data(), "PX", t.c_str()};
    const std::size_t lens[] = {3, key.size(), value.size(), 2, t.size()};
    auto r = command(5, argv, lens);
    if (!r) return std::move(r).error();
    return Ok{};
  }

  std::string describe() const override { return url_; }

 private:
  Error error(const std::string& why) const { return make_error(Errc::unavailable, "state store " + url_ + ": " + why); }

  Result<Context> connect() {
    timeval tv{static_cast<long>(timeout_.count() / 1000), static_cast<long>(timeout_.count() % 1000 * 1000)};
    Context c(redisConnectWithTimeout(host_.c_str(), port_, tv));
    if (!c) return error("out of memory");
    if (c->err) return error(c->errstr);
    redisSetTimeout(c.get(), tv);
    if (db_ != 0) {
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
      if (!r || r->type == REDIS_REPLY_ERROR) return error("SELECT failed");
    }
    return c;
  }

  // One command on a pooled connection. A failure drops the connection and
  // makes the next calls fail fast until `retry_after` has passed.
  Result<Reply> command(int argc, const char** argv, const std::size_t* lens) {
    const auto now = Clock::now();
    if (now.time_since_epoch().count() < down_until_.load(std::memory_order_relaxed))
      return error("unreachable (retrying every " + std::to_string(retry_after_.count()) + " ms)");
    Context c;
    {
      std::lock_guard lock(mutex_);
      if (!pool_.empty()) {
        c = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    if (!c) {
      auto fresh = connect();
      if (!fresh) {
        down_until_.store((now + retry_after_).time_since_epoch().count(), std::memory_order_relaxed);
        return std::move(fresh).error();
      }
      c = std::move(fresh.value());
    }
    Reply r(static_cast<redisReply*>(redisCommandArgv(c.get(), argc, argv, lens)));
    if (!r) {
      down_until_.store((Clock::now() + retry_after_).time_since_epoch().count(), std::memory_order_relaxed);
      return error(c->errstr[0] ? c->errstr : "connection lost");
    }
    if (r->type == REDIS_REPLY_ERROR) {
      std::string why(r->str, r->len);
      give_back(std::move(c));
      return error(why);
    }
    give_back(std::move(c));
    return r;
  }

  void give_back(Context c) {
    std::lock_guard lock(mutex_);
    pool_.push_back(std::move(c));
  }

  std::string url_, host_;
  int port_, db_;
  std::chrono::milliseconds timeout_, retry_after_;
  std::mutex mutex_;
  std::vector<Context> pool_;
  std::atomic<Clock::rep> down_until_{0};
};

}  // namespace

Result<std::unique_ptr<StateStore>> make_redis_store(const std::string& url, std::chrono::milliseconds timeout,
                                                      std::chrono::milliseconds retry_after) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "redis" || u->host().empty())
    return make_error(Errc::invalid_request, "state: expected redis://HOST[:PORT][/DB], got \"" + url + "\"");
  const int port = u->has_port() ? static_cast<int>(u->port_number()) : 6379;
  int db = 0;
  std::string path(u->path());
  if (!path.empty() && path != "/") {
    try {
      db = std::stoi(path.substr(1));
    } catch (...) {
      return make_error(Errc::invalid_request, "state: the database in \"" + url + "\" is not a number");
    }
  }
  return std::unique_ptr<StateStore>(
      std::make_unique<RedisStore>(url, std::string(u->host()), port, db, timeout, retry_after));
}

}  // namespace fulcrum
