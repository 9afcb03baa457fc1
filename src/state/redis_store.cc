#include <hiredis/hiredis.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <mutex>
#include <vector>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "state/state_store.h"

namespace fulcrum {
namespace {

using Clock = std::chrono::steady_clock;

// INCRBY that sets the expiry when it creates the key, in one round trip.
constexpr const char* kAddScript =
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return v";

// INCRBY only while the result stays within the limit (ARGV[3]); -1 when it would not.
constexpr const char* kAddIfAtMostScript =
    "local v = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1]) "
    "if v > tonumber(ARGV[3]) then return -1 end "
    "v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
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
  RedisStore(std::string url, std::string host, int port, int db, std::string user, std::string password,
             std::chrono::milliseconds timeout, std::chrono::milliseconds retry_after)
      : url_(redact_url(url)), host_(std::move(host)), port_(port), db_(db), user_(std::move(user)),
        password_(std::move(password)), timeout_(timeout), retry_after_(retry_after) {}

  Result<std::int64_t> add(std::string_view key, std::int64_t delta, std::chrono::milliseconds ttl) override {
    const auto d = std::to_string(delta), t = std::to_string(ttl.count());
    const char* argv[] = {"EVAL", kAddScript, "1", key.data(), d.c_str(), t.c_str()};
    const std::size_t lens[] = {4, std::strlen(kAddScript), 1, key.size(), d.size(), t.size()};
    auto r = command(6, argv, lens);
    if (!r) return std::move(r).error();
    if ((*r)->type != REDIS_REPLY_INTEGER) return error("unexpected reply to EVAL");
    return static_cast<std::int64_t>((*r)->integer);
  }

  Result<std::optional<std::int64_t>> add_if_at_most(std::string_view key, std::int64_t delta, std::int64_t limit,
                                                     std::chrono::milliseconds ttl) override {
    const auto d = std::to_string(delta), t = std::to_string(ttl.count()), l = std::to_string(limit);
    const char* argv[] = {"EVAL", kAddIfAtMostScript, "1", key.data(), d.c_str(), t.c_str(), l.c_str()};
    const std::size_t lens[] = {4, std::strlen(kAddIfAtMostScript), 1, key.size(), d.size(), t.size(), l.size()};
    auto r = command(7, argv, lens);
    if (!r) return std::move(r).error();
    if ((*r)->type != REDIS_REPLY_INTEGER) return error("unexpected reply to EVAL");
    if ((*r)->integer < 0) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(static_cast<std::int64_t>((*r)->integer));
  }

  Result<std::int64_t> get(std::string_view key) override {
    auto v = get_value(key);
    if (!v) return std::move(v).error();
    if (!*v) return std::int64_t{0};
    std::int64_t n = 0;
    const auto& text = **v;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return error("the counter " + std::string(key) + " is not a number");
    return n;
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
  bool remote() const override { return true; }

 private:
  Error error(const std::string& why) const { return make_error(Errc::unavailable, "state store " + url_ + ": " + why); }

  Result<Context> connect() {
    timeval tv{static_cast<long>(timeout_.count() / 1000), static_cast<long>(timeout_.count() % 1000 * 1000)};
    Context c(redisConnectWithTimeout(host_.c_str(), port_, tv));
    if (!c) return error("out of memory");
    if (c->err) return error(c->errstr);
    redisSetTimeout(c.get(), tv);
    if (!password_.empty()) {
      Reply r(static_cast<redisReply*>(
          user_.empty() ? redisCommand(c.get(), "AUTH %b", password_.data(), password_.size())
                        : redisCommand(c.get(), "AUTH %b %b", user_.data(), user_.size(), password_.data(), password_.size())));
      // Redis's own message names neither the user nor the password.
      if (!r) return error("AUTH failed: connection lost");
      if (r->type == REDIS_REPLY_ERROR) return error("AUTH failed: " + std::string(r->str, r->len));
    }
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

  std::string url_, host_;  // url_: redacted
  int port_, db_;
  std::string user_, password_;
  std::chrono::milliseconds timeout_, retry_after_;
  std::mutex mutex_;
  std::vector<Context> pool_;
  std::atomic<Clock::rep> down_until_{0};
};

}  // namespace

std::string redact_url(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || !u->has_password()) return url;
  boost::urls::url copy(*u);
  copy.set_password("***");
  return std::string(copy.buffer());
}

Result<std::unique_ptr<StateStore>> make_redis_store(const std::string& url, std::chrono::milliseconds timeout,
                                                      std::chrono::milliseconds retry_after, const std::string& password) {
  const auto shown = redact_url(url);
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "redis" || u->host().empty())
    return make_error(Errc::invalid_request, "state: expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], got \"" + shown + "\"");
  const int port = u->has_port() ? static_cast<int>(u->port_number()) : 6379;
  int db = 0;
  std::string path(u->path());
  if (!path.empty() && path != "/") {
    auto [end, ec] = std::from_chars(path.data() + 1, path.data() + path.size(), db);
    if (ec != std::errc() || end != path.data() + path.size() || db < 0)
      return make_error(Errc::invalid_request, "state: the database in \"" + shown + "\" is not a number");
  }
  return std::unique_ptr<StateStore>(std::make_unique<RedisStore>(url, std::string(u->host()), port, db,
                                                                  std::string(u->user()),
                                                                  password.empty() ? std::string(u->password()) : password,
                                                                  timeout, retry_after));
}

}  // namespace fulcrum
