// A gateway in front of several tenants, tried as a careless or hostile
// client would: observability behind keys, per-key cache and feedback,
// budgets under concurrency (locally and across two replicas on Redis),
// stalled readers, oversized bodies, a connection cap, clipped echoes, and
// upstream answers without choices.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <cstdio>
#include <future>
#include <thread>

#include <boost/json.hpp>

#include "harness.h"
#include "redis_server.h"
#include "state/admission.h"

namespace fulcrum::testing {
namespace {

namespace json = boost::json;

const std::string kChat = R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})";

std::map<std::string, std::string> bearer(const std::string& key) { return {{"authorization", "Bearer " + key}}; }

std::string error_code(const HttpResult& r) {
  auto v = json::parse(r.body);
  return std::string(v.at("error").at("code").as_string());
}

std::string two_keys(const std::string& extra = "") {
  return "keys:\n"
         "  team-a: {sha256: " + sha256_hex("sk-a") + "}\n"
         "  team-b: {sha256: " + sha256_hex("sk-b") + ", requests_per_minute: 3}\n" + extra;
}

HarnessOptions ops(std::string top) {
  HarnessOptions o;
  o.top_extra = std::move(top);
  o.operations = true;
  return o;
}

// A raw loopback connection, for clients no library would be.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  // Sends everything; false when the connection broke (EPIPE, reset) before it all went.
  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Whether bytes arrive within `ms`.
  bool readable_within(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
  // Reads until the peer closes or `ms` pass without a byte.
  std::string read_all(int ms = 5000) {
    std::string out;
    char buf[65536];
    while (readable_within(ms)) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string post_head(std::size_t content_length, const std::string& extra_headers = "") {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

// --- observability behind keys ------------------------------------------------

TEST(Observability, MetricsAndDashboardNeedAKeyWhenKeysExist) {
  const auto ledger = std::filesystem::temp_directory_path() / ("fulcrum-obs-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(ledger);
  Harness h(ops("ledger: {path: " + ledger.string() + "}\n" + two_keys() +
                "observability: {admin_sha256: " + sha256_hex("sk-admin") + "}\n"));
  for (const char* path : {"/metrics", "/dashboard", "/dashboard/data.json"}) {
    auto r = http_call(h.port(), "GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(r.header("www-authenticate"), "Basic realm=\"fulcrum\", charset=\"UTF-8\"") << path;
    EXPECT_EQ(http_call(h.port(), "GET", path, "", bearer("sk-wrong")).status, 401) << path;
    EXPECT_EQ(http_call(h.port(), "GET", path, "", bearer("sk-a")).status, 200) << path;
    EXPECT_EQ(http_call(h.port(), "GET", path, "", bearer("sk-admin")).status, 200) << "the admin key: " << path;
    // What a browser sends after the Basic challenge: any user, the key as the password ("x:sk-b").
    EXPECT_EQ(http_call(h.port(), "GET", path, "", {{"authorization", "Basic eDpzay1i"}}).status, 200) << path;
  }
  EXPECT_EQ(http_call(h.port(), "GET", "/healthz").status, 200) << "health stays open";
  EXPECT_NE(http_call(h.port(), "GET", "/readyz").status, 401) << "readiness stays open";
  std::filesystem::remove(ledger);
}

TEST(Observability, PublicOnPurposeOrWithoutKeys) {
  Harness open_on_purpose(ops("ledger: {path: null}\n" + two_keys() + "observability: {public: true}\n"));
  EXPECT_EQ(http_call(open_on_purpose.port(), "GET", "/metrics").status, 200);
  Harness no_keys(ops("ledger: {path: null}\n"));
  EXPECT_EQ(http_call(no_keys.port(), "GET", "/metrics").status, 200) << "no keys: nothing to check against";
  Harness admin_only(ops("ledger: {path: null}\nobservability: {admin_sha256: " + sha256_hex("sk-admin") + "}\n"));
  EXPECT_EQ(http_call(admin_only.port(), "GET", "/metrics").status, 401);
  EXPECT_EQ(http_call(admin_only.port(), "GET", "/metrics", "", bearer("sk-admin")).status, 200);
}

// --- per-key isolation ---------------------------------------------------------

TEST(Isolation, TheCacheNeverAnswersOneKeyWithAnothersAnswer) {
  Harness h(ops("ledger: {path: null}\n" + two_keys()));
  const std::string det = R"({"model":"flash","temperature":0,"messages":[{"role":"user","content":"secret?"}]})";
  EXPECT_EQ(h.chat(det, bearer("sk-b")).header("x-fulcrum-cache"), "miss");
  EXPECT_EQ(h.chat(det, bearer("sk-a")).header("x-fulcrum-cache"), "miss") << "B's answer is B's";
  EXPECT_EQ(h.chat(det, bearer("sk-a")).header("x-fulcrum-cache"), "hit");
  EXPECT_EQ(h.fake().requests().size(), 2u);
}

TEST(Isolation, AFallbacksAnswerIsNotCachedAsTheRequestedTiers) {
  Harness h(ops("ledger: {path: null}\n"));
  // flash fails 3 times (first try and 2 retries): pro answers, as flash's fallback.
  const std::string det =
      R"({"model":"flash","temperature":0,"messages":[{"role":"user","content":"q"}],"fake":{"fail_first":{"key":"fb","count":3}}})";
  auto first = h.chat(det);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("x-fulcrum-tier"), "pro");
  auto second = h.chat(det);  // flash answers now
  EXPECT_EQ(second.header("x-fulcrum-tier"), "flash");
  EXPECT_EQ(second.header("x-fulcrum-cache"), "miss") << "pro's answer was not stored as flash's";
  EXPECT_EQ(h.chat(det).header("x-fulcrum-cache"), "hit") << "flash's own answer was";
}

class FeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = std::filesystem::temp_directory_path() /
              ("fulcrum-fb-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(ledger_);
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(ledger_.string() + suffix);
  }
  std::string yaml() const { return "ledger: {path: " + ledger_.string() + "}\n" + two_keys(); }
  std::filesystem::path ledger_;
};

TEST_F(FeedbackTest, OnlyTheCallersOwnRequestsAndTheLatestVerdictWins) {
  Harness h(ops(yaml()));
  auto answer = h.chat(kChat, bearer("sk-a"));
  ASSERT_EQ(answer.status, 200);
  const auto id = answer.header("x-fulcrum-request-id");
  const std::string fb = R"({"request_id":")" + id + R"(","success":false,"error_cost_usd":5})";
  auto foreign = http_call(h.port(), "POST", "/v1/feedback", fb, bearer("sk-b"));
  auto unknown = http_call(h.port(), "POST", "/v1/feedback", R"({"request_id":"req_nope","score":1})", bearer("sk-b"));
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(foreign), error_code(unknown)) << "another key's request looks unknown";
  EXPECT_EQ(foreign.body.find("team-a"), std::string::npos);

  auto own = http_call(h.port(), "POST", "/v1/feedback", fb, bearer("sk-a"));
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(json::parse(own.body).at("status").as_string(), "recorded");
  auto again = http_call(h.port(), "POST", "/v1/feedback", R"({"request_id":")" + id + R"(","success":true})",
                         bearer("sk-a"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body).at("status").as_string(), "replaced");
  const auto metrics = http_call(h.port(), "GET", "/metrics", "", bearer("sk-a")).body;
  EXPECT_NE(metrics.find("fulcrum_feedback_total{tier=\"flash\"} 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("fulcrum_error_rate{tier=\"flash\"} 0\n"), std::string::npos) << "the latest verdict: right";

  auto huge = http_call(h.port(), "POST", "/v1/feedback",
                        R"({"request_id":")" + id + R"(","success":false,"error_cost_usd":1e15})", bearer("sk-a"));
  EXPECT_EQ(huge.status, 400) << "error_cost_usd is bounded";
}

// A ledger whose lookups wait until the test lets them go, as one waiting on
// a PostgreSQL server across the network (or a cold disk) would.
class StalledLedger final : public FeedbackStore {
 public:
  Result<std::optional<FeedbackTarget>> find_request(std::string_view) override {
    std::unique_lock lock(mu_);
    asked_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    return std::optional(FeedbackTarget{"flash", ""});
  }
  std::optional<FeedbackRecord::Verdict> store(const FeedbackRecord&) override { return std::nullopt; }
  void expect(const std::string&, const FeedbackTarget&) override {}
  bool wait_asked() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return asked_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool asked_ = false, released_ = false;
};

TEST(Feedback, ALookupWaitingOnTheLedgerHoldsNoOtherRequest) {
  StalledLedger ledger;
  HarnessOptions o;
  o.threads = 1;  // one event loop: were the lookup on it, nothing else would be served
  o.feedback = &ledger;
  Harness h(o);
  auto judged = std::async(std::launch::async, [&] {
    return http_call(h.port(), "POST", "/v1/feedback", R"({"request_id":"req_1","score":1})");
  });
  ASSERT_TRUE(ledger.wait_asked());
  // The event loop still serves chat while the lookup waits.
  auto other = std::async(std::launch::async, [&] { return h.chat(kChat); });
  const bool served = other.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  const bool still_waiting = judged.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout;
  ledger.release();  // before any check can end the test: a regression must fail, not hang
  EXPECT_TRUE(served) << "the chat request waited for the feedback's ledger lookup";
  EXPECT_TRUE(still_waiting);
  EXPECT_EQ(other.get().status, 200);
  auto answer = judged.get();
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(json::parse(answer.body).at("tier").as_string(), "flash");
}

TEST_F(FeedbackTest, FeedbackCountsAgainstTheKeysRequestRate) {
  Harness h(ops(yaml()));
  // team-b: 3 requests a minute, feedback included. One chat and at most 3 more calls pass
  // (4 if a minute boundary falls between them).
  auto answer = h.chat(kChat, bearer("sk-b"));
  ASSERT_EQ(answer.status, 200);
  const std::string fb = R"({"request_id":")" + answer.header("x-fulcrum-request-id") + R"(","score":1})";
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = http_call(h.port(), "POST", "/v1/feedback", fb, bearer("sk-b"));
    if (r.status == 429) ++limited;
  }
  EXPECT_GE(limited, 1);
}

// --- budgets that hold ---------------------------------------------------------

// 40 requests at once on a budget that covers about a third of them: what is
// spent never passes the budget.
void expect_budget_holds(const std::vector<Harness*>& replicas, PicoUsd budget) {
  // Each answer: 20 prompt + 1,000 completion tokens at flash prices = $0.0002828; held up front: its
  // 170-byte body as 57 prompt tokens and max_tokens 1,000 = $0.000288. The budget covers 17 at once.
  const std::string body =
      R"({"model":"flash","max_tokens":1000,"messages":[{"role":"user","content":"hi"}],)"
      R"("fake":{"delay_ms":150,"usage":{"prompt_tokens":20,"completion_tokens":1000}}})";
  std::vector<std::future<HttpResult>> calls;
  for (int i = 0; i < 40; ++i)
    calls.push_back(std::async(std::launch::async, [&, i] { return replicas[i % replicas.size()]->chat(body, bearer("sk-p")); }));
  int ok = 0, refused = 0;
  for (auto& c : calls) {
    auto r = c.get();
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++refused;
      EXPECT_EQ(error_code(r), "budget_exceeded");
    }
  }
  PicoUsd spent = 0;
  std::size_t records = 0;
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    const auto served = 40 / replicas.size() + (i < 40 % replicas.size() ? 1 : 0);
    for (const auto& r : replicas[i]->observer().wait_for(served)) spent += r.cost, ++records;
  }
  EXPECT_EQ(ok + refused, 40);
  EXPECT_GE(ok, 1);
  EXPECT_GE(refused, 1) << "40 answers would cost $0.0113";
  EXPECT_LE(spent, budget) << ok << " answered";
  EXPECT_EQ(records, 40u);
}

std::string budget_key(const std::string& extra = "") {
  return "keys:\n  team-p: {sha256: " + sha256_hex("sk-p") + ", daily_budget_usd: 0.005}\n" + extra;
}

TEST(Budget, ConcurrentRequestsNeverSpendPastTheBudget) {
  Harness h(ops("ledger: {path: null}\n" + budget_key()));
  expect_budget_holds({&h}, 5000000000);
}

TEST(Budget, TwoReplicasOnOneRedisNeverSpendPastTheBudget) {
  RedisServer redis;
  const auto yaml = "ledger: {path: null}\n" + budget_key() + "state: {url: \"" + redis.url() + "\", timeout_ms: 500}\n";
  Harness a(ops(yaml)), b(ops(yaml));
  expect_budget_holds({&a, &b}, 5000000000);
}

TEST(Budget, DowngradeSendsWhatDoesNotFitToTheCheapestTier) {
  Harness h(ops("ledger: {path: null}\nkeys:\n  team-g: {sha256: " + sha256_hex("sk-g") +
                ", daily_budget_usd: 0.001, default_max_tokens: 1000, on_budget: downgrade}\n"
                "  team-r: {sha256: " + sha256_hex("sk-r") + ", daily_budget_usd: 0.001, default_max_tokens: 1000}\n"));
  // pro may cost 1,000 x $10/M = $0.01: more than the whole budget; flash's $0.00028 fits.
  const std::string pro = R"({"model":"pro","messages":[{"role":"user","content":"hi"}]})";
  auto r = h.chat(pro, bearer("sk-g"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "flash");
  EXPECT_NE(r.header("x-fulcrum-reason").find("budget: downgraded from pro to flash"), std::string::npos)
      << r.header("x-fulcrum-reason");
  EXPECT_EQ(h.chat(pro, bearer("sk-r")).status, 429) << "on_budget: reject (the default)";
}

TEST(Budget, AnEnormousMaxTokensCannotWrapTheWorstCaseAroundToFit) {
  // max_tokens x price overflowed int64 at 2^63 - 1 and could come out small or
  // negative: the reservation then fit any budget.
  Harness h(ops("ledger: {path: null}\nkeys:\n  team-m: {sha256: " + sha256_hex("sk-m") +
                ", daily_budget_usd: 0.001}\n"));
  for (const char* max : {"9223372036854775807", "4611686018427387904", "1844674407370955"}) {
    auto r = h.chat(std::string(R"({"model":"flash","max_tokens":)") + max +
                        R"(,"messages":[{"role":"user","content":"hi"}]})",
                    bearer("sk-m"));
    EXPECT_EQ(r.status, 429) << max << ": " << r.body;
  }
  EXPECT_TRUE(h.fake().requests().empty()) << "no call went upstream";
}

TEST(Budget, AFallbackToADearerTierMustFitTooAndIsRefusedWhenItDoesNot) {
  // flash fits, but its fallback pro does not: after flash fails, the request stops at the budget.
  Harness h(ops("ledger: {path: null}\nkeys:\n  team-f: {sha256: " + sha256_hex("sk-f") +
                ", daily_budget_usd: 0.001, default_max_tokens: 1000}\n"));
  auto r = h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}],"fake":{"status":503}})",
                  bearer("sk-f"));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_NE(r.body.find("tier pro"), std::string::npos) << r.body;
  for (const auto& req : h.fake().requests())
    EXPECT_EQ(json::parse(req.body).at("model").as_string(), "fake-flash") << "pro was never called";
}

// --- slow and hostile clients ----------------------------------------------------

TEST(SlowClient, AStreamNobodyReadsIsCutAfterTheWriteTimeoutAndStillCharged) {
  HarnessOptions o;
  o.top_extra = "clients: {write_timeout_ms: 300}\n";
  Harness h(o);
  // 8 MB in the first event, then 500 events 20 ms apart (10 s): far more than the socket buffers hold.
  const std::string body = R"({"model":"flash","stream":true,"messages":[{"role":"user","content":"hi"}],)"
                           R"("fake":{"content":")" + std::string(1024, 'x') +
                           R"(","repeat":8192,"chunks":500,"chunk_delay_ms":20}})";
  RawClient client(h.port(), 4096);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send_all(post_head(body.size()) + body));
  // ...and never reads.
  auto records = h.observer().wait_for(1, std::chrono::seconds(8));
  ASSERT_EQ(records.size(), 1u) << "the gateway gave up on the stalled client";
  EXPECT_EQ(records[0].status, 499);
  EXPECT_EQ(records[0].error, "the client took nothing for 300 ms: the gateway closed the connection");
  EXPECT_LT(records[0].total_ms, 8000) << "cut after the write timeout, not at the stream's end";
  EXPECT_GT(records[0].cost, 0) << "what the upstream sent was billed";
  EXPECT_TRUE(records[0].usage.estimated);
  EXPECT_GE(records[0].usage.completion_tokens, (8 << 20) / 4 - 1);
}

TEST(HostileClient, ATrickledHeaderIsClosedAfterTheReadTimeoutWhileAnIdleConnectionStays) {
  HarnessOptions o;
  o.top_extra = "clients: {read_timeout_ms: 400, idle_timeout_ms: 10000}\n";
  Harness h(o);
  RawClient idle(h.port());
  RawClient slow(h.port());
  ASSERT_TRUE(idle.connected() && slow.connected());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(slow.send_all("GET /healthz HTTP/1.1\r\n"));
  // One header line every 100 ms, each well inside the old whole-head deadline.
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    closed = !slow.send_all("X-Slow: a\r\n") || slow.readable_within(100);
  }
  const auto held = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(closed) << "the trickling client was never closed";
  EXPECT_GE(held, std::chrono::milliseconds(350));
  EXPECT_LT(held, std::chrono::milliseconds(2500)) << "closed at the read timeout, not the idle one";
  EXPECT_FALSE(idle.readable_within(200)) << "a connection with no request begun waits for the idle timeout";
  ASSERT_TRUE(idle.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(idle.read_all().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(SlowClient, AKeptAliveConnectionIsClosedAfterTheIdleTimeoutUnlessItKeepsAsking) {
  HarnessOptions o;
  o.top_extra = "clients: {idle_timeout_ms: 500}\n";
  Harness h(o);
  RawClient client(h.port());
  ASSERT_TRUE(client.connected());
  // A request every 200 ms for 1.6 s, past three idle timeouts: each moves the deadline on.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(client.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) << "request " << i;
    ASSERT_TRUE(client.readable_within(1000)) << "request " << i;
    char buf[4096];
    const auto n = ::recv(client.fd(), buf, sizeof buf, 0);
    ASSERT_GT(n, 12) << "closed while in use, at request " << i;
    EXPECT_EQ(std::string_view(buf, 12), "HTTP/1.1 200");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Then it falls quiet: closed at the idle timeout.
  const auto quiet = std::chrono::steady_clock::now();
  EXPECT_EQ(client.read_all(3000), "");
  const auto waited = std::chrono::steady_clock::now() - quiet;
  EXPECT_GE(waited, std::chrono::milliseconds(250)) << "closed before the idle timeout";
  EXPECT_LT(waited, std::chrono::milliseconds(2000)) << "not closed at the idle timeout";
}

// curl asks for the go-ahead before a body over 1 MB and, without one, waits a
// second before it sends the body anyway.
TEST(SlowClient, AClientExpectingContinueGetsItAtOnceAndATooLargeBodyIsRefusedBeforeItIsSent) {
  Harness h;
  const std::string body = R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})";
  RawClient client(h.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send_all(post_head(body.size(), "Expect: 100-continue\r\nConnection: close\r\n")));
  ASSERT_TRUE(client.readable_within(500)) << "no go-ahead: the client would wait";
  char buf[64] = {};
  const auto n = ::recv(client.fd(), buf, sizeof buf, 0);
  EXPECT_EQ(std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.send_all(body));
  const auto answer = client.read_all(2000);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);

  RawClient big(h.port());  // the harness allows 64 KB
  ASSERT_TRUE(big.send_all(post_head(1 << 20, "Expect: 100-continue\r\n")));
  const auto refused = big.read_all(2000);
  EXPECT_EQ(refused.rfind("HTTP/1.1 413", 0), 0u) << "refused on its head, no go-ahead: " << refused.substr(0, 200);
}

TEST(HostileClient, AmbiguousOrForeignFramingGetsA400WithItsReason) {
  Harness h;
  const std::string body = R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})";
  const auto size = std::to_string(body.size());
  char chunk_size[16];
  std::snprintf(chunk_size, sizeof chunk_size, "%zx", body.size());
  const std::pair<std::string, std::string> cases[] = {
      // Request smuggling's two shapes: each must be refused, not read one way here and another upstream.
      {"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + size +
           "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk_size + "\r\n" + body + "\r\n0\r\n\r\n",
       "bad Transfer-Encoding"},
      {"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\nContent-Length: 5\r\n\r\n" + body,
       "multiple Content-Length"},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "bad version"},
      // RFC 9112 3.2: an HTTP/1.1 request names its one Host.
      {"GET /healthz HTTP/1.1\r\n\r\n", "an HTTP/1.1 request needs exactly one Host header"},
      {"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "an HTTP/1.1 request needs exactly one Host header"},
      {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) + std::string(40, 'x'), "bad method"},
  };
  for (const auto& [request, reason] : cases) {
    RawClient client(h.port());
    ASSERT_TRUE(client.send_all(request));
    const auto answer = client.read_all(2000);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << reason << ": " << answer.substr(0, 200);
    EXPECT_NE(answer.find("malformed HTTP request: " + reason), std::string::npos) << answer;
  }
  EXPECT_TRUE(h.fake().requests().empty()) << "nothing reached the upstream";
}

TEST(HostileClient, AnHttp10RequestNeedsNoHostAndAnUnknownPathIsNotEchoedWhole) {
  Harness h;
  RawClient old(h.port());
  ASSERT_TRUE(old.send_all("GET /healthz HTTP/1.0\r\n\r\n"));
  const auto answered = old.read_all(2000);
  EXPECT_EQ(answered.rfind("HTTP/1.0 200", 0), 0u) << answered.substr(0, 200);
  // A 20 KB path: the 404 names its start and its size, not all of it.
  RawClient lost(h.port());
  ASSERT_TRUE(lost.send_all("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto missing = lost.read_all(2000);
  EXPECT_EQ(missing.rfind("HTTP/1.1 404", 0), 0u) << missing.substr(0, 200);
  EXPECT_LT(missing.size(), 1024u);
  EXPECT_NE(missing.find("(20001 bytes)"), std::string::npos) << missing;
}

TEST(HostileClient, ACompressedBodyGetsA415NamingTheEncoding) {
  Harness h;
  auto r = h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})", {{"content-encoding", "gzip"}});
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_NE(r.body.find("\"code\":\"unsupported_content_encoding\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Content-Encoding \\\"gzip\\\""), std::string::npos) << r.body;
  EXPECT_EQ(h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})", {{"content-encoding", "identity"}}).status, 200);
}

TEST(HostileClient, ABodyOverTheLimitGetsA413TheClientCanRead) {
  Harness h;
  // 6 MB (the harness allows 64 KB) sent whole, as an SDK does, before reading the answer.
  const std::string body(6 << 20, 'x');
  RawClient client(h.port());
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.send_all(post_head(body.size()) + body)) << "the gateway drains the rest instead of resetting";
  const auto answer = client.read_all();
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("\"code\":\"request_too_large\""), std::string::npos) << answer;
}

TEST(HostileClient, ConnectionsPastTheCapWaitUntilOneCloses) {
  HarnessOptions o;
  o.threads = 1;
  o.top_extra = "clients: {max_connections: 1}\n";
  Harness h(o);
  RawClient idle(h.port());  // holds the one connection, sends nothing
  ASSERT_TRUE(idle.connected());
  ASSERT_FALSE(idle.readable_within(50));
  RawClient next(h.port());  // the kernel's backlog takes it; the gateway does not, yet
  ASSERT_TRUE(next.connected());
  ASSERT_TRUE(next.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(next.readable_within(300)) << "past the cap: not accepted";
  idle.close();
  const auto answer = next.read_all();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << "accepted once a connection closed: " << answer;
}

TEST(HostileClient, ClientStringsAreClippedInErrorsAndRecords) {
  Harness h;
  const std::string model(60000, 'm');
  auto r = h.chat(R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_LT(r.body.size(), 1000u) << "the 60,000-character model is not echoed whole";
  EXPECT_NE(r.body.find("(60000 bytes)"), std::string::npos) << r.body;
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_LT(records[0].model_requested.size(), 300u);
  auto task = h.chat(R"({"model":"auto","messages":[{"role":"user","content":"hi"}]})",
                     {{"x-fulcrum-error-cost", std::string(5000, '9') + "x"}});
  EXPECT_EQ(task.status, 400);
  EXPECT_LT(task.body.size(), 1000u) << task.body.substr(0, 300);
}

// --- no exception on the data path ---------------------------------------------

TEST(UpstreamFaults, A2xxWithoutChoicesUnderACascadeIsA502WithALedgerRow) {
  HarnessOptions o;
  o.router_extra = "  policies:\n    - {type: cascade, cheap: flash, strong: pro, signal: first_token, threshold: -0.5}\n";
  Harness h(o);
  auto r = h.chat(R"({"model":"auto","messages":[{"role":"user","content":"hi"}],)"
                  R"("fake":{"body":"{\"id\":\"x\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":0}}"}})");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(error_code(r), "upstream_bad_response");
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 502);
  EXPECT_GT(records[0].cost, 0) << "each 2xx was billed";
}

TEST(UpstreamFaults, EveryBilledAttemptIsChargedEvenWhenNoneReachesTheClient) {
  HarnessOptions o;
  o.router_extra = "  policies:\n    - {type: cascade, cheap: flash, strong: pro, signal: mean, tokens: 5, threshold: -0.5}\n";
  Harness h(o);
  // Every attempt streams 2 answer events and is reset: flash's while the cascade still holds it
  // (it waits for 5 logprobs), 3 tries; then pro's. Each was begun, so each is billed.
  auto r = h.chat(R"({"model":"auto","stream":true,"messages":[{"role":"user","content":"hi"}],)"
                  R"("fake":{"logprobs":true,"chunks":10,"reset_after":3}})");
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_GE(records[0].attempts, 4);
  EXPECT_TRUE(records[0].usage.estimated);
  EXPECT_GE(records[0].usage.prompt_tokens, records[0].attempts) << "each attempt's prompt";
  EXPECT_GT(records[0].cost, 0);
  // pro is not held: its stream had begun, so its reset reaches the client as a final error event.
  EXPECT_NE(r.body.find("data: {\"error\""), std::string::npos) << r.body;
  EXPECT_NE(records[0].status, 200);
}

TEST(UpstreamFaults, RetryAfterIsHonouredUpToMaxBackoffAndPassedOn) {
  HarnessOptions o;
  o.provider_extra = "    cooldown: {failures: 100}\n";
  Harness h(o);
  // pro (no fallback) answers 429 "come back in 1 s": fulcrum waits that long between its 3 tries
  // (its own backoff is 1 ms), then passes the 429 and its Retry-After on.
  const auto t0 = std::chrono::steady_clock::now();
  auto r = h.chat(R"({"model":"pro","messages":[{"role":"user","content":"hi"}],"fake":{"status":429,"retry_after":1}})");
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(h.fake().requests().size(), 3u);
  EXPECT_GE(waited, std::chrono::seconds(2)) << "two waits of the upstream's 1 s";
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_LT(records[0].overhead_ms, 500) << "the backoff is time spent on the upstream's account, not fulcrum's";
}

TEST(Keys, LimitsSayWhenToComeBack) {
  Harness h(ops("ledger: {path: null}\n" + two_keys()));
  int seen = 0;
  for (int i = 0; i < 6 && !seen; ++i) {
    auto r = h.chat(kChat, bearer("sk-b"));  // 3 a minute
    if (r.status != 429) continue;
    seen = std::stoi(r.header("retry-after"));
    EXPECT_GE(seen, 1);
    EXPECT_LE(seen, 60);
  }
  EXPECT_GT(seen, 0);
}

// --- a slow Redis ------------------------------------------------------------------

TEST(RedisStalled, ARequestWaitingOnRedisHoldsNoOtherRequest) {
  RedisServer redis;
  auto o = ops("ledger: {path: null}\nkeys:\n  team-s: {sha256: " + sha256_hex("sk-s") +
               ", requests_per_minute: 1000, daily_budget_usd: 10}\nstate: {url: \"" + redis.url() +
               "\", timeout_ms: 5000}\n");
  o.threads = 1;  // one event loop: were the Redis calls made on it, nothing else would be served
  Harness h(o);
  ASSERT_EQ(h.chat(kChat, bearer("sk-s")).status, 200);
  redis.pause();
  auto keyed = std::async(std::launch::async, [&] { return h.chat(kChat, bearer("sk-s")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // its first Redis call is waiting
  const auto started = std::chrono::steady_clock::now();
  auto other = std::async(std::launch::async, [&] { return http_call(h.port(), "GET", "/healthz", ""); });
  const bool served = other.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  const auto waited = std::chrono::steady_clock::now() - started;
  const bool keyed_waiting = keyed.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout;
  redis.resume();  // before any check can end the test: a regression must fail, not hang
  EXPECT_TRUE(served) << "/healthz waited for another request's Redis call";
  EXPECT_LT(waited, std::chrono::seconds(1));
  EXPECT_TRUE(keyed_waiting);
  EXPECT_EQ(other.get().status, 200);
  const auto answer = keyed.get();
  EXPECT_EQ(answer.status, 200) << answer.body;
}

// --- Redis with a password -------------------------------------------------------

TEST(RedisAuth, ThePasswordIsSentAndNeverShown) {
  RedisServer redis("s3cret-pw");
  const auto with_password = "redis://:s3cret-pw@127.0.0.1:" + redis.url().substr(redis.url().rfind(':') + 1);
  auto store = make_redis_store(with_password, std::chrono::milliseconds(500), std::chrono::milliseconds(1));
  ASSERT_TRUE(store);
  auto n = (*store)->add("fulcrum:test:auth", 2, std::chrono::milliseconds(10000));
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
  EXPECT_EQ((*store)->describe().find("s3cret"), std::string::npos) << (*store)->describe();

  auto wrong = make_redis_store("redis://:not-it@127.0.0.1:" + redis.url().substr(redis.url().rfind(':') + 1),
                                std::chrono::milliseconds(500), std::chrono::milliseconds(1));
  ASSERT_TRUE(wrong);
  auto refused = (*wrong)->get("x");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("AUTH failed"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("not-it"), std::string::npos) << refused.error().message;
  auto none = make_redis_store(redis.url(), std::chrono::milliseconds(500), std::chrono::milliseconds(1));
  EXPECT_FALSE((*none)->get("x")) << "without the password Redis refuses";
  EXPECT_EQ(redact_url("redis://user:pw@h:1/2"), "redis://user:***@h:1/2");
}

}  // namespace
}  // namespace fulcrum::testing
