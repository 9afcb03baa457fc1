// One ledger for every replica: two in-process gateways (the `fulcrum serve`
// stack) share a real PostgreSQL server started by the test, with its
// password from an environment variable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <boost/json.hpp>

#include "harness.h"
#include "config/load.h"
#include "ledger/ledger.h"
#include "ledger/ledger_reader.h"
#include "support/postgres_server.h"

namespace fulcrum::testing {
namespace {

const std::string kChat = R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})";
constexpr const char* kPasswordVariable = "FULCRUM_TEST_LEDGER_PASSWORD";
constexpr const char* kPassword = "ledger-s3cret";

std::map<std::string, std::string> bearer(const std::string& key) { return {{"authorization", "Bearer " + key}}; }

HarnessOptions replica(const PostgresServer& pg) {
  HarnessOptions o;
  o.operations = true;
  o.top_extra = "ledger: {url: \"" + pg.url("fulcrum") + "\", password_env: " + kPasswordVariable +
                ", dashboard_refresh_ms: 100, flush_ms: 1}\n"
                "keys:\n"
                "  team-a: {sha256: " + sha256_hex("sk-team-a") + "}\n"
                "  team-b: {sha256: " + sha256_hex("sk-team-b") + "}\n";
  return o;
}

class SharedLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv(kPasswordVariable, kPassword, 1);
    pg.create_database("fulcrum");
  }
  PostgresServer pg{kPassword};

  std::int64_t rows(const std::string& table) {
    return std::stoll(pg.value("SELECT COUNT(*) FROM " + table, "fulcrum"));
  }
  static std::string metric(const Harness& h, const std::string& line_start) {
    const auto body = http_call(const_cast<Harness&>(h).port(), "GET", "/metrics", "", bearer("sk-team-a")).body;
    const auto at = body.find("\n" + line_start + " ");
    return at == std::string::npos ? "" : body.substr(at + line_start.size() + 2, body.find('\n', at + 1) - at - line_start.size() - 2);
  }
};

TEST_F(SharedLedger, FeedbackOnEitherReplicaAndOneDashboardForBoth) {
  Harness a(replica(pg));
  Harness b(replica(pg));
  auto on_a = a.chat(kChat, bearer("sk-team-a"));
  ASSERT_EQ(on_a.status, 200) << on_a.body;
  const auto id = on_a.header("x-fulcrum-request-id");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(b.chat(kChat, bearer("sk-team-b")).status, 200);
  a.ops().ledger()->flush();
  b.ops().ledger()->flush();

  // A request served by A gets its feedback on B (B never saw it).
  const std::string fb = R"({"request_id":")" + id + R"(","score":0,"error_cost_usd":3})";
  auto other_key = http_call(b.port(), "POST", "/v1/feedback", fb, bearer("sk-team-b"));
  EXPECT_EQ(other_key.status, 404) << "another key's request stays unknown: " << other_key.body;
  auto r = http_call(b.port(), "POST", "/v1/feedback", fb, bearer("sk-team-a"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("tier").as_string(), "flash");
  // A second verdict, on A this time, replaces B's (once B's batch is in: a few ms).
  b.ops().ledger()->flush();
  r = http_call(a.port(), "POST", "/v1/feedback", R"({"request_id":")" + id + R"(","score":1})", bearer("sk-team-a"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("status").as_string(), "replaced") << "A found B's verdict in the database";
  a.ops().ledger()->flush();
  EXPECT_EQ(rows("requests"), 2);
  EXPECT_EQ(rows("feedback"), 1);
  EXPECT_EQ(pg.value("SELECT score FROM feedback", "fulcrum"), "1");

  // Each dashboard shows both replicas' requests and the feedback (it reads what is new every 100 ms, once
  // it has surely committed: 2 s after it was written).
  for (auto* h : {&a, &b}) {
    boost::json::value data;
    for (int i = 0; i < 100; ++i) {
      data = boost::json::parse(http_call(h->port(), "GET", "/dashboard/data.json", "", bearer("sk-team-a")).body);
      if (data.at("today").at("requests").as_int64() == 2 && data.at("error_rates_30d").as_object().contains("flash"))
        break;
      usleep(50000);
    }
    EXPECT_EQ(data.at("today").at("requests").as_int64(), 2) << boost::json::serialize(data);
    usleep(400000);  // four more reads of what is new: nothing is counted twice
    data = boost::json::parse(http_call(h->port(), "GET", "/dashboard/data.json", "", bearer("sk-team-a")).body);
    EXPECT_EQ(data.at("today").at("requests").as_int64(), 2) << boost::json::serialize(data);
    EXPECT_EQ(data.at("error_rates_30d").at("flash").at("feedback").as_int64(), 1) << boost::json::serialize(data);
    EXPECT_EQ(data.at("error_rates_30d").at("flash").at("error_rate").as_double(), 0.0);
  }

  // The readers behind export and break-even see every replica's rows.
  const LedgerLocation where(pg.url("fulcrum"), kPassword);
  std::ostringstream csv;
  ASSERT_TRUE(export_ledger(where, 0, "csv", csv));
  EXPECT_NE(csv.str().find(id + ","), std::string::npos) << csv.str();
  auto summary = summarize_ledger(where, 0);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->total.requests, 2);
  EXPECT_EQ(summary->total.feedback, 1);
}

TEST_F(SharedLedger, ADatabaseRestartLosesNothingAccepted) {
  Harness a(replica(pg));
  Harness b(replica(pg));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(a.chat(kChat, bearer("sk-team-a")).status, 200);
  auto before = a.chat(kChat, bearer("sk-team-a"));
  a.ops().ledger()->flush();
  ASSERT_EQ(rows("requests"), 6);

  pg.stop();
  // The gateway keeps answering; its records wait in the queue.
  for (int i = 0; i < 20; ++i) ASSERT_EQ(a.chat(kChat, bearer("sk-team-a")).status, 200);
  std::string up;
  // The writer notices at its next attempt; on a loaded machine its idle-priority thread may wait for a core.
  for (int i = 0; i < 1000 && up != "0"; ++i, usleep(10000)) up = metric(a, "fulcrum_ledger_up");
  EXPECT_EQ(up, "0") << "the metric shows the database away";
  // Feedback on an answer only the database knows of: 503, not a false 404.
  auto r = http_call(b.port(), "POST", "/v1/feedback",
                     R"({"request_id":")" + before.header("x-fulcrum-request-id") + R"(","score":1})", bearer("sk-team-a"));
  EXPECT_EQ(r.status, 503) << r.body;
  // Feedback on A's own fresh answer is accepted now and written later.
  const auto fresh = a.chat(kChat, bearer("sk-team-a"));
  r = http_call(a.port(), "POST", "/v1/feedback",
                R"({"request_id":")" + fresh.header("x-fulcrum-request-id") + R"(","score":0})", bearer("sk-team-a"));
  EXPECT_EQ(r.status, 200) << r.body;

  pg.start();
  a.ops().ledger()->flush();  // returns once the waiting batch is in
  EXPECT_EQ(rows("requests"), 27) << "6 before, 20 + 1 while the database was down";
  EXPECT_EQ(rows("feedback"), 1);
  EXPECT_EQ(a.ops().ledger()->dropped(), 0u);
  EXPECT_EQ(a.ops().ledger()->write_errors(), 0u);
  EXPECT_EQ(metric(a, "fulcrum_ledger_up"), "1");
  EXPECT_NE(metric(a, "fulcrum_ledger_retries_total"), "0");
  // B's lookups reconnect too.
  r = http_call(b.port(), "POST", "/v1/feedback",
                R"({"request_id":")" + before.header("x-fulcrum-request-id") + R"(","score":1})", bearer("sk-team-a"));
  for (int i = 0; i < 100 && r.status == 503; ++i, usleep(20000))
    r = http_call(b.port(), "POST", "/v1/feedback",
                  R"({"request_id":")" + before.header("x-fulcrum-request-id") + R"(","score":1})", bearer("sk-team-a"));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SharedLedger, ShutdownWithTheDatabaseAwayWaitsItsGraceThenCountsWhatIsLost) {
  LedgerOptions options;
  options.where = LedgerLocation(pg.url("fulcrum"), kPassword);
  options.stop_grace = std::chrono::milliseconds(300);
  auto ledger = Ledger::open(options);
  ASSERT_TRUE(ledger) << ledger.error().message;
  pg.stop();
  for (int i = 0; i < 5; ++i) {
    RequestRecord r;
    r.id = "lost-" + std::to_string(i);
    r.tier = "flash";
    (*ledger)->on_request_done(r);
  }
  const auto started = std::chrono::steady_clock::now();
  (*ledger)->close();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3)) << "the grace, not forever";
  EXPECT_EQ((*ledger)->write_errors(), 5u) << "what was lost is counted exactly";
  RequestRecord after;
  after.id = "after";
  (*ledger)->on_request_done(after);
  EXPECT_EQ((*ledger)->dropped(), 1u) << "a record after close is dropped and counted";
  (*ledger)->flush();  // returns: nothing is waiting
  pg.start();
}

TEST_F(SharedLedger, AnUnsetPasswordVariableOrAWrongPasswordStopsTheStart) {
  unsetenv(kPasswordVariable);
  auto yaml = replica(pg);
  auto config = load_config_text("providers: {p: {base_url: \"http://127.0.0.1:1\"}}\n"
                                 "tiers: {t: {provider: p, model: m, price: {input: 1, output: 1}}}\n"
                                 "router: {default: t}\n" + yaml.top_extra,
                                 "x.yaml");
  ASSERT_TRUE(config.config) << (config.errors.empty() ? "" : config.errors.front());
  auto ops = Operations::create(config.config);
  ASSERT_FALSE(ops);
  EXPECT_NE(ops.error().message.find("FULCRUM_TEST_LEDGER_PASSWORD is not set"), std::string::npos) << ops.error().message;
  setenv(kPasswordVariable, "wrong", 1);
  ops = Operations::create(config.config);
  ASSERT_FALSE(ops);
  EXPECT_NE(ops.error().message.find("password authentication failed"), std::string::npos) << ops.error().message;
  EXPECT_EQ(ops.error().message.find("wrong"), std::string::npos) << "the password is never shown";
}

}  // namespace
}  // namespace fulcrum::testing
