// The ledger (SQLite or PostgreSQL, off the request path), its reader and export, the
// Prometheus exposition and the feedback body.
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <thread>
#include <sstream>

#include <boost/json.hpp>
#include <sqlite3.h>

#include "app/access_log.h"
#include "config/load.h"
#include "core/background_priority.h"
#include "core/clock.h"
#include "ledger/ledger.h"
#include "ledger/ledger_reader.h"
#include "ledger/schema.h"
#include "metrics/metrics.h"
#include "openai/feedback.h"
#include "support/postgres_server.h"
#include "web/dashboard.h"

namespace fulcrum {
namespace {

class LedgerTest : public ::testing::Test {
 protected:
  std::string path = file_for(::testing::UnitTest::GetInstance()->current_test_info()->name());
  static std::string file_for(std::string test) {
    for (auto& c : test)
      if (c == '/') c = '-';  // a parameterised test's name: Name/param
    return (std::filesystem::temp_directory_path() / ("fulcrum-ledger-" + std::to_string(getpid()) + "-" + test + ".db"))
        .string();
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  std::unique_ptr<Ledger> open(std::size_t capacity = 1000) {
    auto l = Ledger::open(LedgerOptions{path, capacity, std::chrono::milliseconds(5)});
    EXPECT_TRUE(l) << l.error().message;
    return std::move(l.value());
  }
};

// The same tests on the embedded SQLite file and on a real PostgreSQL server
// (a database of the test's own): every reader and writer is shared.
enum class Backend { sqlite, postgres };

class LedgerOnBothTest : public LedgerTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() != Backend::postgres) return;
    server_ = std::make_unique<testing::PostgresServer>();
    server_->create_database("ledger_test");
    path = server_->url("ledger_test");
  }
  std::unique_ptr<testing::PostgresServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Ledger, LedgerOnBothTest, ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& param_info) { return param_info.param == Backend::sqlite ? "sqlite" : "postgres"; });

// Flash and Pro at DeepSeek's list prices.
ConfigPtr flash_and_pro() {
  return load_config_text(R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  flash: {provider: p, model: f, price: {input: 0.14, output: 0.28}}
  pro: {provider: p, model: s, price: {input: 0.435, output: 0.87}}
router: {default: flash}
)", "t.yaml").config;
}

RequestRecord record(const std::string& id, const std::string& tier, int status, PicoUsd cost, std::int64_t at_ms,
                     bool escalated = false) {
  RequestRecord r;
  r.id = id;
  r.unix_ms = at_ms;
  r.tier = tier;
  r.model_requested = "auto";
  r.key = "team-x";
  r.upstream_model = tier + "-model";
  r.reason = "because, \"quoted\"";
  r.status = status;
  r.cost = cost;
  r.escalated = escalated;
  r.usage.prompt_tokens = 100;
  r.usage.completion_tokens = 20;
  r.answer_usage = r.usage;
  r.ttfb_ms = 1.5;
  r.total_ms = 10.25;
  return r;
}

FeedbackRecord feedback(std::string id, std::string tier, double score, std::optional<double> error_cost,
                        std::int64_t unix_ms) {
  FeedbackRecord f;
  f.request_id = std::move(id);
  f.tier = std::move(tier);
  f.score = score;
  f.error_cost_usd = error_cost;
  f.unix_ms = unix_ms;
  return f;
}

TEST_P(LedgerOnBothTest, WritesRequestsAndFeedbackAndSummarizesThem) {
  {
    auto ledger = open();
    ledger->on_request_done(record("a", "flash", 200, 1000000, 1000));
    ledger->on_request_done(record("b", "flash", 200, 3000000, 2000, true));
    ledger->on_request_done(record("c", "pro", 502, 0, 3000));
    ledger->on_request_done(record("d", "pro", 200, 9000000, 4000));
    EXPECT_EQ(ledger->find_request("b").value()->tier, "flash") << "known before it is written";
    ledger->store(feedback("a", "flash", 0.0, 10.0, 5000));
    ledger->store(feedback("b", "flash", 0.5, std::nullopt, 5000));
    ledger->store(feedback("d", "pro", 1.0, std::nullopt, 5000));
    ledger->flush();
    EXPECT_EQ(ledger->queue_depth(), 0u);
    EXPECT_EQ(ledger->dropped(), 0u);
  }
  auto s = summarize_ledger(path, 0);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->tiers.size(), 2u);
  const auto& flash = s->tiers[0];
  EXPECT_EQ(flash.tier, "flash");
  EXPECT_EQ(flash.requests, 2);
  EXPECT_EQ(flash.escalated, 1);
  EXPECT_EQ(flash.cost_pico_usd, 4000000);
  EXPECT_EQ(flash.feedback, 2);
  EXPECT_DOUBLE_EQ(flash.error_rate(), 0.75);  // (1 - 0) + (1 - 0.5) over 2
  const auto& pro = s->tiers[1];
  EXPECT_EQ(pro.succeeded, 1);
  EXPECT_EQ(pro.failed, 1);
  EXPECT_DOUBLE_EQ(pro.error_rate(), 0.0);
  EXPECT_EQ(s->total.requests, 4);
  EXPECT_EQ(s->total.cost_pico_usd, 13000000);
  auto later = summarize_ledger(path, 2500);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->total.requests, 2) << "--since filters by request time";

  // A reopened ledger finds old ids in the database.
  auto reopened = open();
  EXPECT_EQ(reopened->find_request("d").value()->tier, "pro");
  EXPECT_EQ(reopened->find_request("d").value()->key, "team-x");
  EXPECT_FALSE(reopened->find_request("zzz").value());
}

TEST_P(LedgerOnBothTest, OneVerdictPerRequestTheLatestWins) {
  {
    auto ledger = open();
    ledger->on_request_done(record("a", "flash", 200, 1000000, 1000));
    EXPECT_FALSE(ledger->store(feedback("a", "flash", 0.0, 10.0, 2000))) << "the first verdict replaces nothing";
    auto replaced = ledger->store(feedback("a", "flash", 1.0, std::nullopt, 3000));
    ASSERT_TRUE(replaced);
    EXPECT_EQ(replaced->score, 0.0);
    EXPECT_EQ(replaced->error_cost_usd, 10.0);
  }
  {
    // Reopened: the in-memory window is gone, the database knows the verdict.
    auto ledger = open();
    auto replaced = ledger->store(feedback("a", "flash", 0.5, std::nullopt, 4000));
    ASSERT_TRUE(replaced);
    EXPECT_EQ(replaced->score, 1.0);
  }
  auto s = summarize_ledger(path, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tiers[0].feedback, 1) << "three verdicts, one counted";
  EXPECT_DOUBLE_EQ(s->tiers[0].error_rate(), 0.5);
  EXPECT_EQ(s->tiers[0].error_cost_count, 0) << "the replaced verdict's error cost is gone too";
}

TEST_F(LedgerTest, AFullDatabaseLosesRecordsCountedNeverBlocking) {
  // max_bytes stands in for a full disk: SQLite answers SQLITE_FULL either way
  // (and may roll the whole transaction back: the batch is then lost entire).
  auto ledger = Ledger::open(LedgerOptions{path, 100000, std::chrono::milliseconds(0), 128 * 1024});
  ASSERT_TRUE(ledger) << ledger.error().message;
  for (int i = 0; i < 5000; ++i) {
    std::string id = std::to_string(i);  // not "r" + ...: g++ 12 warns (-Wrestrict) falsely on that
    auto r = record(id, "flash", 200, 1, 1000 + i);
    r.reason = std::string(200, 'x');  // ~0.5 KB a row: 128 KB holds a fraction of them
    (*ledger)->on_request_done(r);
    if (i < 100 && i % 10 == 9) (*ledger)->flush();  // small batches first: these fit
  }
  (*ledger)->flush();  // returns: a refused batch is counted, not retried forever
  EXPECT_GT((*ledger)->write_errors(), 0u);
  EXPECT_EQ((*ledger)->dropped(), 0u);
  // Every record is either in the file or counted lost, never both.
  auto reader = open_sql_reader(LedgerLocation(path));
  ASSERT_TRUE(reader) << reader.error().message;
  std::int64_t written = -1;
  ASSERT_TRUE((*reader)->query("SELECT COUNT(*) FROM requests", {}, [&](const SqlRow& row) { written = row.integer(0); }));
  EXPECT_GE(written, 100);
  EXPECT_EQ(static_cast<std::uint64_t>(written) + (*ledger)->write_errors(), 5000u);
}

TEST_F(LedgerTest, TheWriterWaitsForRecordsAtIdlePriority) {
  // Woken at normal priority, the writer preempted the request path twice a
  // batch (at one connection, most of the ledger's cost to the p99). So it
  // sleeps and wakes at SCHED_IDLE, and is raised only to take the queue's
  // lock (a lowered thread preempted there would stall every request thread)
  // and while it is behind.
  BackgroundPriority probe;
  std::thread([&] { probe.adopt_self(); }).join();
  if (!probe.allowed()) GTEST_SKIP() << "this process may not return from SCHED_IDLE, so nothing is lowered";
  auto ledger = open();
  const auto idle_threads = [] {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task"))
      n += sched_getscheduler(static_cast<pid_t>(std::stol(task.path().filename().string()))) == SCHED_IDLE;
    return n;
  };
  for (int round = 0; round < 3; ++round) {  // after a batch, and after a flush (which raises it)
    ledger->on_request_done(record(std::string(1, static_cast<char>('a' + round)), "flash", 200, 1, 1000));
    if (round == 1) ledger->flush();
    // Back in its wait: lowered at three looks 5 ms apart (a batch of one is
    // written in well under a millisecond, so this is not the write).
    int lowered_looks = 0;
    for (int i = 0; i < 200 && lowered_looks < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      lowered_looks = idle_threads() == 1 ? lowered_looks + 1 : 0;
    }
    EXPECT_EQ(lowered_looks, 3) << "round " << round << ": the waiting writer is not at SCHED_IDLE";
  }
  ledger->flush();
  auto reader = open_sql_reader(LedgerLocation(path));
  ASSERT_TRUE(reader) << reader.error().message;
  std::int64_t written = -1;
  ASSERT_TRUE((*reader)->query("SELECT COUNT(*) FROM requests", {}, [&](const SqlRow& row) { written = row.integer(0); }));
  EXPECT_EQ(written, 3);
}

TEST_F(LedgerTest, ABurstGathersForTheFlushIntervalUnlessItReachesTheGatherLimit) {
  // A minute's interval: a lone record waits in the queue; 256 records end the
  // gathering at once, so a batch's work stays bounded however long the interval.
  auto ledger = Ledger::open(LedgerOptions{path, 100000, std::chrono::minutes(1)});
  ASSERT_TRUE(ledger) << ledger.error().message;
  (*ledger)->on_request_done(record("lone", "flash", 200, 1, 1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ((*ledger)->queue_depth(), 1u) << "the record did not wait for its burst";
  for (int i = 1; i < 256; ++i) (*ledger)->on_request_done(record(std::to_string(i), "flash", 200, 1, 1000 + i));
  for (int i = 0; i < 1000 && (*ledger)->queue_depth() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ((*ledger)->queue_depth(), 0u) << "256 records did not end the gathering";
  // A flush ends it too, rather than waiting out the minute.
  (*ledger)->on_request_done(record("last", "flash", 200, 1, 2000));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer is gathering again
  const auto asked = std::chrono::steady_clock::now();
  (*ledger)->flush();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(30)) << "the flush waited out the interval";
  auto reader = open_sql_reader(LedgerLocation(path));
  ASSERT_TRUE(reader) << reader.error().message;
  std::int64_t written = -1;
  ASSERT_TRUE((*reader)->query("SELECT COUNT(*) FROM requests", {}, [&](const SqlRow& row) { written = row.integer(0); }));
  EXPECT_EQ(written, 257);
}

TEST_P(LedgerOnBothTest, CapturedPromptsJoinTheirLatestFeedbackAndExpire) {
  const auto now = unix_ms_now();
  {
    LedgerOptions o{path, 1000, std::chrono::milliseconds(0)};
    o.prompt_retention_ms = 86400000;  // a day
    auto ledger = Ledger::open(o);
    ASSERT_TRUE(ledger);
    auto judged = record("a", "flash", 200, 1, now - 1000);
    judged.prompt = "prove it";
    auto failed = record("b", "flash", 502, 0, now - 1000);
    failed.prompt = "not an answer";
    auto old = record("c", "pro", 200, 1, now - 3 * 86400000LL);
    old.prompt = "three days old";
    auto unjudged = record("d", "pro", 200, 1, now - 1000);
    unjudged.prompt = "no feedback";
    for (const auto* r : {&old, &judged, &failed, &unjudged}) (*ledger)->on_request_done(*r);
    for (const char* id : {"a", "b", "c"}) (*ledger)->store(feedback(id, "x", 0.0, std::nullopt, now));
    (*ledger)->store(feedback("a", "flash", 1.0, std::nullopt, now));  // the latest verdict wins
    (*ledger)->flush();
  }
  auto rows = judged_prompts(path);
  ASSERT_TRUE(rows) << rows.error().message;
  // b failed (no answer to judge), c's prompt is past its retention, d has no feedback.
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].request_id, "a");
  EXPECT_EQ((*rows)[0].prompt, "prove it");
  EXPECT_EQ((*rows)[0].tier, "flash");
  EXPECT_EQ((*rows)[0].score, 1.0);
}

TEST_P(LedgerOnBothTest, ExportsCsvAndJsonLines) {
  {
    auto ledger = open();
    ledger->on_request_done(record("a", "flash", 200, 2800000, 1000));
    ledger->on_request_done(record("b", "pro", 200, 8700000, 2000));
    ledger->store(feedback("b", "pro", 1.0, std::nullopt, 3000));
  }  // the destructor drains the queue
  std::ostringstream csv;
  ASSERT_TRUE(export_ledger(path, 0, "csv", csv));
  std::istringstream lines(csv.str());
  std::string header, first, second, extra;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(header.rfind("id,unix_ms,api_key,model,tier,", 0), 0u) << header;
  EXPECT_NE(header.find(",feedback_score,cost_usd"), std::string::npos) << header;
  EXPECT_EQ(first.rfind("a,1000,", 0), 0u) << first;
  EXPECT_NE(first.find(",\"because, \"\"quoted\"\"\","), std::string::npos) << "CSV quoting: " << first;
  EXPECT_EQ(first.substr(first.size() - 10), ",0.0000028") << first;
  std::ostringstream jsonl;
  ASSERT_TRUE(export_ledger(path, 1500, "jsonl", jsonl));
  auto row = boost::json::parse(jsonl.str()).as_object();
  EXPECT_EQ(row.at("id").as_string(), "b");
  EXPECT_EQ(row.at("cost_pico_usd").as_int64(), 8700000);
  EXPECT_EQ(row.at("cost_usd").as_string(), "0.0000087");
  EXPECT_EQ(row.at("feedback_score").as_double(), 1.0);
  EXPECT_EQ(row.at("total_us").as_int64(), 10250);
  std::ostringstream bad;
  EXPECT_FALSE(export_ledger(path, 0, "xml", bad));
  EXPECT_FALSE(export_ledger(path + ".missing", 0, "csv", bad));
}

// The last 20,000 answered ids are kept in memory for feedback that comes
// before their rows are written; an older one is looked up in the database.
TEST_F(LedgerTest, FeedbackFindsRecentIdsInMemoryAndOlderOnesInTheDatabase) {
  auto ledger = open(30000);
  ledger->expect("early", FeedbackTarget{"pro", "team-y"});
  auto found = ledger->find_request("early");
  ASSERT_TRUE(found && *found) << "expected before its record arrives";
  EXPECT_EQ((*found)->tier, "pro");
  ledger->on_request_done(record("early", "pro", 200, 1, 1));  // the same id again: still one entry
  for (int i = 0; i < 20000; ++i) {
    std::string id = std::to_string(i);  // (not "r" + ...: g++ 12 warns falsely of an overlapping copy)
    ledger->on_request_done(record(id.insert(0, 1, 'r'), "flash", 200, 1, 2));
  }
  found = ledger->find_request("r19999");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->tier, "flash");
  ledger->flush();
  found = ledger->find_request("early");  // out of the window: from its row
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->tier, "pro");
  EXPECT_EQ((*found)->key, "team-x");
  found = ledger->find_request("never");
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
}

TEST_F(LedgerTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  auto ledger = open(0);
  ledger->on_request_done(record("a", "flash", 200, 1, 1));
  ledger->on_request_done(record("b", "flash", 200, 1, 1));
  EXPECT_EQ(ledger->dropped(), 2u);
  ledger->flush();  // returns: nothing was accepted
}

// A batch sent again (its COMMIT went through but the acknowledgement was
// lost) meets its own rows: the second copy replaces them, one row each.
// Text with the characters COPY escapes comes back as it went in.
TEST_P(LedgerOnBothTest, ARecordWrittenTwiceIsOneRowAndTextSurvivesIntact) {
  const std::string awkward = "tab\there, line\nbreak, cr\r, back\\slash \\N, quote \" and \xc3\xa9";
  {
    auto ledger = open();
    auto r = record("a", "flash", 200, 1000, 1000);
    r.reason = awkward;
    ledger->on_request_done(r);
    ledger->on_request_done(record("b", "flash", 200, 1000, 1000));
    ledger->flush();
    r.cost = 5000;  // the same id again, in a later batch with a new row
    ledger->on_request_done(r);
    ledger->on_request_done(record("c", "pro", 200, 1000, 1000));
    ledger->flush();
    EXPECT_EQ(ledger->write_errors(), 0u);
  }
  auto s = summarize_ledger(path, 0);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->total.requests, 3);
  EXPECT_EQ(s->total.cost_pico_usd, 7000) << "a's second row replaced its first";
  std::ostringstream jsonl;
  ASSERT_TRUE(export_ledger(path, 0, "jsonl", jsonl));
  auto first = boost::json::parse(jsonl.str().substr(0, jsonl.str().find('\n'))).as_object();
  EXPECT_EQ(first.at("id").as_string(), "a");
  EXPECT_EQ(first.at("reason").as_string(), awkward);
}

TEST_P(LedgerOnBothTest, ManyThreadsManyRecords) {
  {
    auto ledger = open(1000000);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 5000; ++i)
          ledger->on_request_done(record(std::to_string(t) + "-" + std::to_string(i), "flash", 200, 1, i));
      });
    for (auto& th : threads) th.join();
  }
  auto s = summarize_ledger(path, 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->total.requests, 20000);
  auto hours = tier_mix_by_hour(path, 0);
  ASSERT_TRUE(hours);
  ASSERT_EQ(hours->size(), 1u);
  EXPECT_EQ((*hours)[0].requests, 20000);
}

TEST(AccessLog, OneJsonLinePerRequestWithItsFieldsEscaped) {
  auto r = record("req_1", "flash", 502, 1234567, 1000);
  r.reason = "said \"no\"\nthen \\ \x01";  // quotes, a newline, a backslash, a control byte
  r.error = "upstream 502";
  r.stream = true;
  r.attempts = 3;
  r.ttfb_ms = 0.797101;
  r.total_ms = 12.5;
  r.overhead_ms = 0.25;
  r.usage.cache_hit_tokens = 40;
  r.usage.estimated = true;
  const auto line = format_access_line(r);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line: " << line;
  boost::system::error_code ec;
  const auto v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("request_id").as_string(), "req_1");
  EXPECT_EQ(o.at("model").as_string(), "auto");
  EXPECT_EQ(o.at("tier").as_string(), "flash");
  EXPECT_EQ(o.at("upstream_model").as_string(), "flash-model");
  EXPECT_EQ(o.at("reason").as_string(), r.reason);
  EXPECT_EQ(o.at("stream").as_bool(), true);
  EXPECT_EQ(o.at("escalated").as_bool(), false);
  EXPECT_EQ(o.at("status").as_int64(), 502);
  EXPECT_EQ(o.at("attempts").as_int64(), 3);
  EXPECT_EQ(o.at("prompt_tokens").as_int64(), 100);
  EXPECT_EQ(o.at("cache_hit_tokens").as_int64(), 40);
  EXPECT_EQ(o.at("completion_tokens").as_int64(), 20);
  EXPECT_EQ(o.at("cost_usd").as_string(), format_usd(1234567));
  EXPECT_EQ(o.at("cost_estimated").as_bool(), true);
  EXPECT_EQ(o.at("ttfb_us").as_int64(), 797);
  EXPECT_EQ(o.at("total_us").as_int64(), 12500);
  EXPECT_EQ(o.at("overhead_us").as_int64(), 250);
  EXPECT_EQ(o.at("error").as_string(), "upstream 502");
  r.error.clear();
  EXPECT_FALSE(boost::json::parse(format_access_line(r)).as_object().contains("error"));
}

TEST(ParseSince, DatesTimesAndSpans) {
  const std::int64_t now = 1795874995717;
  EXPECT_EQ(parse_since("1970-01-02", now).value(), 86400000);
  EXPECT_EQ(parse_since("2026-11-28T10:00:00Z", now).value(), 1795860000000);
  EXPECT_EQ(parse_since("24h", now).value(), now - 86400000);
  EXPECT_EQ(parse_since("30m", now).value(), now - 1800000);
  EXPECT_EQ(parse_since("7d", now).value(), now - 7 * 86400000LL);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-28T25:00:00Z", "h", "-1h", "2026-11-28 10:00"})
    EXPECT_FALSE(parse_since(bad, now)) << bad;
}

TEST(Metrics, ExpositionFollowsThePrometheusTextFormat) {
  auto c = flash_and_pro();
  ASSERT_TRUE(c);
  Metrics m(*c);
  auto r = record("a", "flash", 200, 2000000000, 1);  // $0.002
  r.usage.cache_hit_tokens = 40;
  r.usage.cache_miss_tokens = 60;
  r.ttfb_ms = 30;        // 0.03 s: the 0.05 bucket
  r.total_ms = 200;      // 0.2 s: the 0.25 bucket
  r.overhead_ms = 0.3;   // 0.0003 s: the 0.0005 bucket
  m.on_request_done(r);
  r.escalated = true;
  m.on_request_done(r);
  auto fell_back = record("b", "pro", 502, 0, 1);
  fell_back.fell_back = true;  // flash failed, pro (its fallback) failed too
  m.on_request_done(fell_back);
  m.on_request_done(record("c", "", 400, 0, 1));
  m.on_feedback(feedback("a", "flash", 0.25, std::nullopt, 1));
  m.add_gauge("fulcrum_test_gauge", "A test gauge.", [] { return 7.5; });
  const auto text = m.prometheus_text();
  auto has = [&](const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; };
  EXPECT_TRUE(has(R"(fulcrum_requests_total{tier="flash",code="200"} 2)")) << text;
  EXPECT_TRUE(has(R"(fulcrum_requests_total{tier="pro",code="502"} 1)"));
  EXPECT_TRUE(has(R"(fulcrum_requests_total{tier="none",code="400"} 1)"));
  EXPECT_TRUE(has(R"(fulcrum_escalations_total{tier="flash"} 1)"));
  EXPECT_TRUE(has(R"(fulcrum_cost_usd_total{tier="flash"} 0.004)"));
  EXPECT_TRUE(has(R"(fulcrum_tokens_total{tier="flash",kind="prompt_cache_hit"} 80)"));
  EXPECT_TRUE(has(R"(fulcrum_time_to_first_token_seconds_bucket{tier="flash",le="0.025"} 0)"));
  EXPECT_TRUE(has(R"(fulcrum_time_to_first_token_seconds_bucket{tier="flash",le="0.05"} 2)"));
  EXPECT_TRUE(has(R"(fulcrum_time_to_first_token_seconds_bucket{tier="flash",le="+Inf"} 2)"));
  EXPECT_TRUE(has(R"(fulcrum_time_to_first_token_seconds_count{tier="flash"} 2)"));
  EXPECT_TRUE(has(R"(fulcrum_request_duration_seconds_bucket{tier="flash",le="0.1"} 0)"));
  EXPECT_TRUE(has(R"(fulcrum_request_duration_seconds_bucket{tier="flash",le="0.25"} 2)"));
  // The other two records spent 0 s in fulcrum: the first bucket.
  EXPECT_TRUE(has(R"(fulcrum_gateway_overhead_seconds_bucket{le="0.0001"} 2)"));
  EXPECT_TRUE(has(R"(fulcrum_gateway_overhead_seconds_bucket{le="0.00025"} 2)"));
  EXPECT_TRUE(has(R"(fulcrum_gateway_overhead_seconds_bucket{le="0.0005"} 4)"));
  EXPECT_TRUE(has(R"(fulcrum_feedback_total{tier="flash"} 1)"));
  EXPECT_TRUE(has(R"(fulcrum_feedback_errors_total{tier="flash"} 0.75)"));
  EXPECT_TRUE(has(R"(fulcrum_error_rate{tier="flash"} 0.75)"));
  // 1 escalation over 3 routed requests (the rejected one had no tier).
  EXPECT_TRUE(has("fulcrum_escalation_ratio 0.3333333333333333"));
  // The error fallback, counted apart from escalations: 1 over the same 3.
  EXPECT_TRUE(has(R"(fulcrum_error_fallbacks_total{tier="pro"} 1)"));
  EXPECT_TRUE(has(R"(fulcrum_error_fallbacks_total{tier="flash"} 0)"));
  EXPECT_TRUE(has("fulcrum_error_fallback_ratio 0.3333333333333333"));
  // $0.004 over (2 answers - 0.75 reported wrong).
  EXPECT_TRUE(has("fulcrum_cost_per_successful_request_usd 0.0032"));
  EXPECT_TRUE(has("fulcrum_test_gauge 7.5"));
  // Every sample line belongs to a family declared by # TYPE before it.
  std::istringstream lines(text);
  std::string line, family;
  std::set<std::string> declared;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      declared.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    auto name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.size() > std::strlen(suffix) && name.ends_with(suffix) && !declared.count(name))
        name.resize(name.size() - std::strlen(suffix));
    EXPECT_TRUE(declared.count(name)) << line;
  }
}

TEST(Feedback, BodyIsValidatedFieldByField) {
  auto f = parse_feedback(R"({"request_id":"req_1","success":false,"error_cost_usd":12.5})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->request_id, "req_1");
  EXPECT_EQ(f->score, 0.0);
  EXPECT_EQ(*f->error_cost_usd, 12.5);
  f = parse_feedback(R"({"request_id":"req_1","score":0.8})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->score, 0.8);
  struct Case {
    const char* body;
    const char* param;
  } cases[] = {
      {R"({"score":1})", "request_id"},
      {R"({"request_id":"r"})", "score"},
      {R"({"request_id":"r","score":1,"success":true})", "score"},
      {R"({"request_id":"r","score":1.5})", "score"},
      {R"({"request_id":"r","success":"yes"})", "success"},
      {R"({"request_id":"r","score":1,"error_cost_usd":-1})", "error_cost_usd"},
      {R"({"request_id":"r","score":1,"error_cost_usd":1e12})", "error_cost_usd"},  // bounded
  };
  for (const auto& c : cases) {
    auto bad = parse_feedback(c.body);
    ASSERT_FALSE(bad) << c.body;
    EXPECT_EQ(bad.error().param, c.param) << c.body;
  }
  EXPECT_EQ(parse_feedback("{nope").error().code, Errc::invalid_json);
}

}  // namespace
}  // namespace fulcrum

namespace fulcrum {
namespace {

TEST_F(LedgerTest, AnOlderLedgerGainsTheNewColumnsAndKeepsItsRows) {
  // A ledger as the first release wrote it: the requests table without the added columns.
  std::string old_schema = kLedgerSchema;
  const auto from = old_schema.find("  error TEXT NOT NULL,");
  ASSERT_NE(from, std::string::npos);
  old_schema.replace(from, old_schema.find(");", from) - from, "  error TEXT NOT NULL\n");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, old_schema.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO requests VALUES ('old', 1000, '', 'auto', 'flash', 'f', 'r', 0, 0, 200, 1, "
                         "100, 0, 100, 20, 0, 5, 0, 1, 2, 3, '')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  {
    auto ledger = open();
    auto r = record("new", "pro", 200, 7, 2000);
    r.fell_back = true;
    ledger->on_request_done(r);
  }
  auto summary = summarize_ledger(path, 0);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->total.requests, 2);
  EXPECT_EQ(summary->total.fell_back, 1);
  EXPECT_EQ(summary->total.cost_pico_usd, 12);
  // The old row's answer tokens are unknown (zero); the new one's are its own.
  auto minutes = tokens_by_minute(path, 0);
  ASSERT_TRUE(minutes);
  std::int64_t completion = 0;
  for (const auto& m : *minutes) completion += m.completion_tokens;
  EXPECT_EQ(completion, 20);
  // Opening it again finds nothing left to add.
  EXPECT_TRUE(open());
}

TEST_F(LedgerTest, DashboardSeedsFromTheLedgerThenFollowsNewRecords) {
  auto c = flash_and_pro();
  ASSERT_TRUE(c);
  const std::int64_t day = 86400000, now = 20000 * day + 10 * 3600000;  // 10:00 UTC on day 20000
  {
    auto ledger = open();
    ledger->on_request_done(record("old", "pro", 200, 5000000, now - 3 * day));   // counts for error rates only
    ledger->on_request_done(record("a", "flash", 200, 1000000, now - 3600000));
    ledger->on_request_done(record("b", "pro", 200, 4000000, now - 60000, true));
    ledger->store(feedback("a", "flash", 0.0, 20.0, now - 1000));
    ledger->store(feedback("old", "pro", 1.0, std::nullopt, now - 3 * day));
  }
  DashboardData dash(*c);
  ASSERT_TRUE(dash.seed(path, now));
  auto j = boost::json::parse(dash.json(now)).as_object();
  EXPECT_EQ(j.at("cheap_tier").as_string(), "flash");
  EXPECT_EQ(j.at("strong_tier").as_string(), "pro");
  EXPECT_EQ(j.at("today").at("requests").as_int64(), 2);
  EXPECT_EQ(j.at("today").at("spend_usd").as_string(), "0.000005");
  // Saved by routing: each request's 100 + 20 tokens on pro would cost $0.0000609 (seeded from the ledger).
  EXPECT_EQ(j.at("today").at("all_strong_usd").as_string(), "0.0001218");
  EXPECT_EQ(j.at("today").at("saved_usd").as_string(), "0.0001168");
  EXPECT_NEAR(j.at("today").at("saved_share").as_double(), 1 - 5.0 / 121.8, 1e-12);
  EXPECT_DOUBLE_EQ(j.at("today").at("fallback_rate").as_double(), 0.5);
  EXPECT_EQ(j.at("today").at("fallback_alert").as_string(), "red");
  EXPECT_DOUBLE_EQ(j.at("error_rates_30d").at("flash").at("error_rate").as_double(), 1.0);
  EXPECT_EQ(j.at("error_rates_30d").at("flash").at("alert").as_string(), "red");
  EXPECT_DOUBLE_EQ(j.at("error_rates_30d").at("pro").at("error_rate").as_double(), 0.0);
  EXPECT_EQ(j.at("tier_mix_24h").as_array().size(), 2u);
  // Break-even: flash $0.000001 vs pro $0.0000045 a request (30 days), $20 an error, a 100% gap.
  EXPECT_EQ(j.at("breakeven").at("verdict").as_string(), "upgrade");
  EXPECT_DOUBLE_EQ(j.at("breakeven").at("error_cost_usd").as_double(), 20.0);

  // New records move the numbers without touching the ledger.
  dash.on_request_done(record("c", "flash", 200, 1000000, now));
  auto d = record("d", "flash", 200, 1000000, now);
  d.fell_back = true;
  dash.on_request_done(d);
  j = boost::json::parse(dash.json(now)).as_object();
  EXPECT_EQ(j.at("today").at("requests").as_int64(), 4);
  EXPECT_DOUBLE_EQ(j.at("today").at("fallback_rate").as_double(), 0.25);
  EXPECT_EQ(j.at("today").at("all_strong_usd").as_string(), "0.0002436");
  EXPECT_EQ(j.at("today").at("saved_usd").as_string(), "0.0002366");
  EXPECT_EQ(j.at("today").at("fell_back").as_int64(), 1);
  EXPECT_DOUBLE_EQ(j.at("today").at("error_fallback_rate").as_double(), 0.25);
  // A request refused before routing (401, 429) has no tier; it is named so, not shown as a blank tier.
  dash.on_request_done(record("e", "", 401, 0, now));
  j = boost::json::parse(dash.json(now)).as_object();
  bool refused_row = false;
  for (const auto& t : j.at("tiers_today").as_array()) {
    EXPECT_FALSE(t.at("tier").as_string().empty());
    refused_row = refused_row || t.at("tier").as_string() == "(refused before routing)";
  }
  EXPECT_TRUE(refused_row);
  EXPECT_EQ(j.at("today").at("all_strong_usd").as_string(), "0.0002436");  // nothing billed, nothing saved
  for (const auto& h : j.at("tier_mix_24h").as_array()) EXPECT_FALSE(h.at("tier").as_string().empty());
  EXPECT_EQ(j.at("today").at("fallback_alert").as_string(), "red");
  // The next day starts from zero; 30-day error rates carry over.
  j = boost::json::parse(dash.json(now + day)).as_object();
  EXPECT_EQ(j.at("today").at("requests").as_int64(), 0);
  EXPECT_TRUE(j.at("today").at("saved_share").is_null());
  EXPECT_EQ(j.at("today").at("fallback_alert").as_string(), "ok");
  EXPECT_TRUE(j.at("error_rates_30d").as_object().contains("flash"));
}

}  // namespace
}  // namespace fulcrum

namespace fulcrum {
namespace {

TEST(LedgerLocation, APasswordInAUrlNeverReachesAMessage) {
  EXPECT_EQ(LedgerLocation("postgresql://fulcrum:s3cret@db:5432/fulcrum").display(), "postgresql://fulcrum@db:5432/fulcrum");
  EXPECT_EQ(LedgerLocation("postgres://u@db/f").display(), "postgres://u@db/f");
  EXPECT_EQ(LedgerLocation("postgresql://db/f?user=a").display(), "postgresql://db/f?user=a");
  EXPECT_EQ(LedgerLocation("/var/lib/fulcrum/ledger.db").display(), "/var/lib/fulcrum/ledger.db");
  EXPECT_TRUE(LedgerLocation("postgresql://db/f").postgres());
  EXPECT_FALSE(LedgerLocation("ledger.db").postgres());
  // The config keeps passwords out of the file altogether.
  const std::string tiers = "providers: {p: {base_url: \"http://127.0.0.1:1\"}}\n"
                            "tiers: {t: {provider: p, model: m, price: {input: 1, output: 1}}}\nrouter: {default: t}\n";
  auto with_password = load_config_text(tiers + "ledger: {url: \"postgresql://u:pw@db/f\"}\n", "x.yaml");
  ASSERT_FALSE(with_password.errors.empty());
  EXPECT_NE(with_password.errors.front().find("ledger.url: keep the password out of the config"), std::string::npos)
      << with_password.errors.front();
  auto both = load_config_text(tiers + "ledger: {path: a.db, url: \"postgresql://db/f\"}\n", "x.yaml");
  ASSERT_FALSE(both.errors.empty());
  EXPECT_NE(both.errors.front().find("not both"), std::string::npos) << both.errors.front();
  auto good = load_config_text(tiers + "ledger: {url: \"postgresql://u@db/f\", password_env: PW}\n", "x.yaml");
  ASSERT_TRUE(good.config) << (good.errors.empty() ? "" : good.errors.front());
  EXPECT_EQ(good.config->ledger.path, "postgresql://u@db/f") << "a URL is not made relative to the file";
  EXPECT_EQ(good.config->ledger.password_env, "PW");
}

}  // namespace
}  // namespace fulcrum
