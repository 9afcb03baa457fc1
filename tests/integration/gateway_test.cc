// The gateway in-process against the scriptable fake upstream: forwarding,
// streaming, accounting, retries, fallbacks, cooldowns, cancellation, errors.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "config/load.h"
#include "core/money.h"
#include "integration/harness.h"

namespace fulcrum::testing {
namespace {

namespace json = boost::json;

std::string body_with(const std::string& model, const std::string& fake, bool stream = false,
                      const std::string& extra = "") {
  std::string b = R"({"messages":[{"role":"user","content":"What is 2+2?"}])";
  if (!model.empty()) b += R"(,"model":")" + model + "\"";
  if (stream) b += R"(,"stream":true)";
  if (!fake.empty()) b += R"(,"fake":)" + fake;
  return b + extra + "}";
}

// A chat completion request as raw HTTP/1.1, for tests that drive the socket themselves.
std::string raw_chat_request(const std::string& body) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

json::object error_of(const HttpResult& r) { return json::parse(r.body).at("error").as_object(); }

class GatewayTest : public ::testing::Test {
 protected:
  // A client connection to the gateway, for tests that drive the socket themselves.
  boost::asio::ip::tcp::socket raw_connection(boost::asio::io_context& io) {
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), h.port()});
    return s;
  }
  Harness h;
};

TEST_F(GatewayTest, ForwardsANamedTierAndAccountsItsCost) {
  auto r = h.chat(body_with("flash", R"({"usage":{"prompt_tokens":1000,"prompt_cache_hit_tokens":800,"completion_tokens":300}})",
                            false, R"(,"tools":[{"type":"function","function":{"name":"f"}}],"temperature":0.2)"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "flash");
  EXPECT_EQ(r.header("x-fulcrum-reason"), "requested tier flash");
  EXPECT_EQ(r.header("x-fulcrum-request-id").rfind("req_", 0), 0u);
  EXPECT_FALSE(r.header("x-fulcrum-overhead-ms").empty());
  // 200 miss x 0.14 + 800 hit x 0.0028 + 300 out x 0.28, per 1M.
  EXPECT_EQ(r.header("x-fulcrum-cost-usd"), "0.00011424");
  auto answer = json::parse(r.body).as_object();
  EXPECT_EQ(answer["choices"].as_array()[0].at("message").at("content").as_string(), "Hello from fake");

  auto sent = h.fake().requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].target, "/v1/chat/completions");
  EXPECT_EQ(sent[0].authorization, "Bearer sk-test-secret");
  auto up = json::parse(sent[0].body).as_object();
  EXPECT_EQ(up["model"].as_string(), "fake-flash");
  EXPECT_EQ(up["thinking"].at("type").as_string(), "disabled");
  EXPECT_TRUE(up.contains("tools"));
  EXPECT_EQ(up["temperature"].as_double(), 0.2);

  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].usage.cache_hit_tokens, 800);
  EXPECT_EQ(records[0].cost, 114240000);
  EXPECT_FALSE(records[0].usage.estimated);
}

TEST_F(GatewayTest, AutoAbsentAndAliasGoThroughTheRouter) {
  for (const std::string model : {"auto", "", "gpt-4o"}) {
    auto r = h.chat(body_with(model, ""));
    ASSERT_EQ(r.status, 200) << model << r.body;
    EXPECT_EQ(r.header("x-fulcrum-tier"), "flash") << model;
    EXPECT_EQ(r.header("x-fulcrum-reason"), "default tier flash") << model;
  }
}

TEST_F(GatewayTest, StreamsEventsWithUsageWhenAsked) {
  auto r = h.chat(body_with("pro", R"({"chunks":4,"reasoning":"thinking...","logprobs":true,"usage":{"prompt_tokens":20,"completion_tokens":9,"reasoning_tokens":3}})",
                            true, R"(,"stream_options":{"include_usage":true},"logprobs":true)"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.header("x-fulcrum-tier"), "pro");
  auto events = sse_data(r.body);
  ASSERT_GE(events.size(), 8u);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_NE(r.body.find("\"reasoning_content\":\"thinking...\""), std::string::npos);
  EXPECT_NE(r.body.find("\"logprob\":"), std::string::npos);
  auto usage_chunk = json::parse(events[events.size() - 2]).as_object();
  EXPECT_EQ(usage_chunk["usage"].at("prompt_tokens").as_int64(), 20);
  // 20 x 2.5 + 9 x 10 per 1M = 0.00014
  EXPECT_NE(r.body.find(": fulcrum-cost {"), std::string::npos);
  EXPECT_NE(r.body.find("\"cost_usd\":\"0.00014\""), std::string::npos) << r.body;
  EXPECT_LT(r.body.find(": fulcrum-cost"), r.body.find("data: [DONE]"));
  auto up = json::parse(h.fake().requests()[0].body).as_object();
  EXPECT_EQ(up["reasoning_effort"].as_string(), "max");
}

TEST_F(GatewayTest, StripsTheUsageChunkItAskedForOnItsOwnAccount) {
  auto r = h.chat(body_with("flash", R"({"chunks":3})", true));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("\"usage\":{"), std::string::npos) << r.body;
  auto up = json::parse(h.fake().requests()[0].body).as_object();
  EXPECT_TRUE(up["stream_options"].at("include_usage").as_bool());
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].usage.estimated) << "usage came upstream even though the client did not ask";
  EXPECT_EQ(records[0].usage.completion_tokens, 3);
  EXPECT_EQ(format_usd(records[0].cost), "0.00000224");
}

TEST_F(GatewayTest, StreamCutBeforeUsageIsEstimatedAndEndsWithAnErrorEvent) {
  auto r = h.chat(body_with("flash", R"({"chunks":6,"reset_after":4})", true));
  ASSERT_EQ(r.status, 200);
  auto events = sse_data(r.body);
  ASSERT_EQ(events.size(), 5u) << r.body;  // 4 relayed + the error event
  EXPECT_NE(events.back().find("\"error\""), std::string::npos);
  EXPECT_NE(r.body.find("\"estimated\":true"), std::string::npos);
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].usage.estimated);
  EXPECT_GT(records[0].usage.completion_tokens, 0);
  EXPECT_EQ(records[0].status, 502);
}

// A provider whose whole answer must come within 700 ms.
HarnessOptions short_total_timeout() {
  HarnessOptions o;
  o.threads = 1;
  o.more_providers =
      "  short:\n    base_url: {FAKE}/v1\n    api_key_env: FULCRUM_TEST_KEY\n"
      "    timeouts: {connect_ms: 1000, first_byte_ms: 1000, total_ms: 700}\n    retries: {max: 0}\n";
  o.more_tiers = "  short:\n    provider: short\n    model: fake-short\n    price: {input: 1, output: 1}\n";
  return o;
}

TEST(UpstreamDeadline, AStreamPastTheTotalTimeoutEndsWithATimeoutEvent) {
  Harness h(short_total_timeout());
  const auto started = std::chrono::steady_clock::now();
  auto r = h.chat(body_with("short", R"({"chunks":30,"chunk_delay_ms":100})", true));  // 3 s of events
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.status, 200);
  auto events = sse_data(r.body);
  ASSERT_GE(events.size(), 2u) << r.body;
  EXPECT_NE(events.back().find("upstream_timeout"), std::string::npos) << events.back();
  EXPECT_NE(events.back().find("total timeout"), std::string::npos) << events.back();
  EXPECT_GE(took, std::chrono::milliseconds(600));
  EXPECT_LT(took, std::chrono::milliseconds(2500)) << "cut at the total timeout, not at the stream's end";
  auto records = h.observer().wait_for(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 504);
}

TEST(UpstreamDeadline, AnIdlePooledConnectionOutlivesItsLastCallsDeadline) {
  Harness h(short_total_timeout());
  auto first = h.chat(body_with("short", ""));
  ASSERT_EQ(first.status, 200) << first.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // past the first call's total deadline
  auto second = h.chat(body_with("short", R"({"chunks":3})", true));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.body.find("error"), std::string::npos) << second.body;
  EXPECT_EQ(h.fake().connections_accepted(), 1) << "the idle connection was closed, or not reused";
}

// A listener whose accept queue is full: the kernel drops further SYNs, so a
// connect to it neither succeeds nor fails until the caller gives up.
TEST(UpstreamDeadline, AConnectThatHangsEndsAtTheConnectTimeout) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor full(io, {boost::asio::ip::make_address("127.0.0.1"), 0}, true);
  full.listen(0);
  // Non-blocking connects (Asio's connect would wait for each): the first fill the queue.
  std::vector<int> fill;
  for (int i = 0; i < 4; ++i) {
    fill.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(full.local_endpoint().port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fill.back(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  struct CloseAll {
    std::vector<int>& fds;
    ~CloseAll() {
      for (int fd : fds) ::close(fd);
    }
  } close_all{fill};
  HarnessOptions o;
  o.more_providers = "  hung:\n    base_url: http://127.0.0.1:" + std::to_string(full.local_endpoint().port()) +
                     "/v1\n    api_key_env: FULCRUM_TEST_KEY\n"
                     "    timeouts: {connect_ms: 400, first_byte_ms: 1000, total_ms: 5000}\n    retries: {max: 0}\n";
  o.more_tiers = "  hung:\n    provider: hung\n    model: x\n    price: {input: 1, output: 1}\n";
  Harness h(o);
  const auto started = std::chrono::steady_clock::now();
  auto r = h.chat(body_with("hung", ""));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_NE(r.body.find("took longer than 400 ms"), std::string::npos) << r.body;
  EXPECT_GE(took, std::chrono::milliseconds(350));
  EXPECT_LT(took, std::chrono::milliseconds(3000));
}

TEST_F(GatewayTest, NonStreamWithoutUsageIsEstimated) {
  auto r = h.chat(body_with("flash", R"({"no_usage":true,"content":"twelve chars"})"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-fulcrum-cost-estimated"), "true");
  auto records = h.observer().wait_for(1);
  EXPECT_EQ(records[0].usage.completion_tokens, 3);  // 12 chars / 4
}

TEST_F(GatewayTest, RetriesTransientFailuresThenSucceeds) {
  auto r = h.chat(body_with("flash", R"({"fail_first":{"key":"retry1","count":2,"status":503}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "flash");
  EXPECT_EQ(h.fake().requests().size(), 3u);
  auto records = h.observer().wait_for(1);
  EXPECT_EQ(records[0].attempts, 3);
  EXPECT_FALSE(records[0].fell_back);  // retried on its own tier: not a fallback
}

TEST_F(GatewayTest, FallsBackToTheNextTierWhenRetriesRunOut) {
  auto r = h.chat(body_with("flash", R"({"fail_first":{"key":"fb","count":3,"status":500}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "pro");
  EXPECT_NE(r.header("x-fulcrum-reason").find("fell back to pro"), std::string::npos) << r.header("x-fulcrum-reason");
  auto sent = h.fake().requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(json::parse(sent[3].body).at("model").as_string(), "fake-pro");
  auto records = h.observer().wait_for(1);
  EXPECT_TRUE(records[0].fell_back);
  EXPECT_EQ(records[0].escalated, false);
  EXPECT_GT(records[0].answer_usage.completion_tokens, 0);  // pro's answer
}

TEST_F(GatewayTest, UnreachableUpstreamFallsBackOrAnswers502) {
  auto r = h.chat(body_with("dead", ""));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "pro");
}

TEST_F(GatewayTest, UpstreamClientErrorsPassThroughWithoutRetry) {
  auto r = h.chat(body_with("flash", R"({"status":422,"error_body":"{\"error\":{\"message\":\"bad tool schema\",\"type\":\"invalid_request_error\"}}"})"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(error_of(r).at("message").as_string(), "bad tool schema");
  EXPECT_EQ(h.fake().requests().size(), 1u);
}

TEST_F(GatewayTest, TimeoutAnswers504) {
  auto r = h.chat(body_with("pro", R"({"delay_ms":1300})"));
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(error_of(r).at("code").as_string(), "upstream_timeout");
}

TEST_F(GatewayTest, MalformedUpstreamJsonAnswers502) {
  auto r = h.chat(body_with("pro", R"({"body":"{\"choices\": [trunc"})"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(error_of(r).at("code").as_string(), "upstream_bad_response");
}

TEST_F(GatewayTest, BadRequestsGetOpenAiErrors) {
  auto a = h.chat("{nope");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(error_of(a).at("code").as_string(), "invalid_json");
  auto b = h.chat(R"({"model":"flash"})");
  EXPECT_EQ(b.status, 400);
  EXPECT_EQ(error_of(b).at("param").as_string(), "messages");
  auto c = h.chat(R"({"model":"gpt-5","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(c.status, 400);
  EXPECT_NE(std::string(error_of(c).at("message").as_string()).find("Valid models: auto, flash, pro"), std::string::npos);
  auto d = h.chat(R"({"messages":[{"role":"user","content":")" + std::string(70000, 'x') + "\"}]}");
  EXPECT_EQ(d.status, 413);
  EXPECT_EQ(error_of(d).at("code").as_string(), "request_too_large");
  auto e = http_call(h.port(), "GET", "/v1/chat/completions");
  EXPECT_EQ(e.status, 405);
  auto f = http_call(h.port(), "GET", "/nope");
  EXPECT_EQ(f.status, 404);
  EXPECT_TRUE(h.fake().requests().empty());
}

TEST_F(GatewayTest, MissingApiKeyNamesTheVariable) {
  auto r = h.chat(body_with("keyless", ""));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(std::string(error_of(r).at("message").as_string()).find("FULCRUM_UNSET_KEY"), std::string::npos);
  EXPECT_TRUE(h.fake().requests().empty());
}

TEST_F(GatewayTest, ModelsHealthAndReadiness) {
  auto m = http_call(h.port(), "GET", "/v1/models");
  ASSERT_EQ(m.status, 200);
  auto data = json::parse(m.body).at("data").as_array();
  std::vector<std::string> ids;
  for (const auto& d : data) ids.emplace_back(d.at("id").as_string());
  // Tiers, aliases, then the upstream model ids (each once): a client written for the provider may name those.
  EXPECT_EQ(ids, (std::vector<std::string>{"auto", "flash", "pro", "dead", "keyless", "gpt-4o", "fake-flash", "fake-pro", "m"}));
  EXPECT_EQ(http_call(h.port(), "GET", "/healthz").status, 200);
  auto head = http_call(h.port(), "HEAD", "/v1/models");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("content-length"), std::to_string(m.body.size()));
  auto ready = http_call(h.port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("FULCRUM_UNSET_KEY"), std::string::npos);
}

TEST_F(GatewayTest, ReusesUpstreamConnections) {
  auto results = http_calls_keep_alive(h.port(), {body_with("flash", ""), body_with("flash", ""),
                                                  body_with("flash", R"({"chunks":2})", true), body_with("flash", "")});
  for (const auto& r : results) EXPECT_EQ(r.status, 200);
  EXPECT_EQ(h.fake().connections_accepted(), 1) << "one keep-alive client connection on one worker reuses one upstream connection";
}

TEST_F(GatewayTest, StreamRelaysEachEventAsItArrives) {
  // 6 events 250 ms apart: the client must see the head and the first event
  // at once, not when the upstream's answer is complete (~1.5 s later).
  namespace net = boost::asio;
  net::io_context io;
  auto s = raw_connection(io);
  const auto body = body_with("flash", R"({"chunks":4,"content":"a b c d","chunk_delay_ms":250})", true);
  const auto req = raw_chat_request(body);
  const auto sent = std::chrono::steady_clock::now();
  net::write(s, net::buffer(req));
  std::string got;
  std::chrono::steady_clock::duration first_event{}, last_byte{};
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    const auto n = s.read_some(net::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
    if (first_event == std::chrono::steady_clock::duration{} && got.find("data: {") != std::string::npos)
      first_event = std::chrono::steady_clock::now() - sent;
    if (got.find("\r\n0\r\n\r\n") != std::string::npos) {
      last_byte = std::chrono::steady_clock::now() - sent;
      break;
    }
  }
  ASSERT_NE(got.find("data: [DONE]"), std::string::npos) << got;
  EXPECT_GE(last_byte, std::chrono::milliseconds(1200));
  EXPECT_LT(first_event, last_byte - std::chrono::milliseconds(1000));
}

TEST_F(GatewayTest, ClientDisconnectCancelsTheUpstreamRequest) {
  namespace net = boost::asio;
  for (bool stream : {false, true}) {
    net::io_context io;
    auto s = raw_connection(io);
    const auto body = body_with("flash", stream ? R"({"chunks":50,"chunk_delay_ms":100})" : R"({"delay_ms":1500})", stream);
    const auto req = raw_chat_request(body);
    net::write(s, net::buffer(req));
    if (stream) {  // wait for the head, so the relay is under way
      char buf[512];
      s.read_some(net::buffer(buf));
    }
    s.close();
    const auto started = std::chrono::steady_clock::now();
    auto records = h.observer().wait_for(stream ? 2 : 1, std::chrono::seconds(4));
    ASSERT_FALSE(records.empty()) << "stream=" << stream;
    EXPECT_EQ(records.back().status, 499) << "stream=" << stream;
    EXPECT_EQ(records.back().error, "the client closed the connection");
    // Cancelled, not run to the end: well before the 5 s the stream would take.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  }
}

// A client that sends its request and then shuts its side of the connection
// has left, as nginx treats it by default (the FIN may arrive with the request).
TEST_F(GatewayTest, AClientThatShutsItsSideAfterTheRequestHasLeft) {
  namespace net = boost::asio;
  net::io_context io;
  auto s = raw_connection(io);
  const auto body = body_with("flash", R"({"delay_ms":1500})", false);
  const auto req = raw_chat_request(body);
  net::write(s, net::buffer(req));
  s.shutdown(net::ip::tcp::socket::shutdown_send);
  const auto started = std::chrono::steady_clock::now();
  auto records = h.observer().wait_for(1, std::chrono::seconds(4));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().status, 499);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1400));
}

// Two requests in one write: the second waits in the socket while the first
// is answered (the client-close watch must not take it for a close).
TEST_F(GatewayTest, PipelinedRequestsAreAnsweredInOrder) {
  namespace net = boost::asio;
  net::io_context io;
  auto s = raw_connection(io);
  const auto one = [&](int delay_ms) {
    const auto body = body_with("flash", R"({"delay_ms":)" + std::to_string(delay_ms) + "}", false);
    return raw_chat_request(body);
  };
  net::write(s, net::buffer(one(200) + one(0)));
  std::string got;
  const auto count = [&](std::string_view what) {
    std::size_t n = 0;
    for (auto at = got.find(what); at != std::string::npos; at = got.find(what, at + 1)) ++n;
    return n;
  };
  while (count("\"object\":\"chat.completion\"") < 2) {
    char buf[4096];
    boost::system::error_code ec;
    const auto n = s.read_some(net::buffer(buf), ec);
    ASSERT_FALSE(ec) << ec.message() << "\n" << got;
    got.append(buf, n);
  }
  EXPECT_EQ(count("HTTP/1.1 200 OK"), 2u) << got;
  auto records = h.observer().wait_for(2, std::chrono::seconds(4));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status, 200);
  EXPECT_EQ(records[1].status, 200);
}

TEST(GatewayRouting, PoliciesDecideAndExplainAutoRequests) {
  HarnessOptions o;
  o.router_extra =
      "  domains: {medical: {risk: 9}}\n"
      "  policies:\n"
      "    - type: rules\n"
      "      rules: [{name: high-risk, when: {domain_risk: {gte: 8}}, tier: pro}]\n";
  Harness h(o);
  auto routed = h.chat(body_with("auto", ""), {{"x-fulcrum-domain", "medical"}});
  ASSERT_EQ(routed.status, 200) << routed.body;
  EXPECT_EQ(routed.header("x-fulcrum-tier"), "pro");
  EXPECT_EQ(routed.header("x-fulcrum-reason"), "rule high-risk: domain_risk 9 >= 8 -> pro");
  auto plain = h.chat(body_with("auto", ""));
  EXPECT_EQ(plain.header("x-fulcrum-tier"), "flash");
  auto named = h.chat(body_with("flash", ""), {{"x-fulcrum-domain", "medical"}});
  EXPECT_EQ(named.header("x-fulcrum-tier"), "flash") << "a named tier is not re-routed";
  auto bad = h.chat(body_with("auto", ""), {{"x-fulcrum-budget-usd", "plenty"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_of(bad).at("param").as_string(), "x-fulcrum-budget-usd");
}

// ledger.capture keeps what the router read, so that `fulcrum train --ledger`
// learns from the text it will route on: router.prompt's roles (system and
// user by default), not the earlier answers or tool output the request resends.
TEST(GatewayCapture, KeepsThePromptTheRouterReadNotTheWholeConversation) {
  const std::string body = R"({"model":"auto","messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":"What is a monad?"},
    {"role":"assistant","content":"A long answer about monads."},
    {"role":"tool","tool_call_id":"x","content":"tool output"},
    {"role":"user","content":[{"type":"text","text":"Shorter,"},{"type":"text","text":"please."}]}]})";
  for (const auto& [router, expected] :
       {std::pair<std::string, std::string>{"", "Be brief.\nWhat is a monad?\nShorter,\nplease."},
        {"  prompt: {roles: [user], last_n: 1}\n", "Shorter,\nplease."}}) {
    HarnessOptions o;
    o.top_extra = "ledger: {path: null, capture: prompts}\n";
    o.router_extra = router;
    Harness h(o);
    auto r = h.chat(body);
    ASSERT_EQ(r.status, 200) << r.body;
    auto records = h.observer().wait_for(1);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].prompt, expected) << router;
  }
}

class CascadeTest : public ::testing::TestWithParam<bool> {};  // param: stream

TEST_P(CascadeTest, EscalatesLowConfidenceAnswersAndAccountsBothCalls) {
  const bool stream = GetParam();
  HarnessOptions o;
  o.router_extra =
      "  policies:\n"
      "    - {type: cascade, cheap: flash, strong: pro, signal: first_token, threshold: -0.5}\n";
  Harness h(o);
  // Confident: Flash's answer is kept; the client, which did not ask, gets no logprobs.
  auto kept = h.chat(body_with("auto", R"({"logprobs":true,"logprob":-0.1,"chunks":3})", stream));
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(kept.header("x-fulcrum-tier"), "flash");
  EXPECT_EQ(kept.header("x-fulcrum-escalated"), "false");
  EXPECT_NE(kept.header("x-fulcrum-reason").find("confidence -0.1 >= -0.5: kept flash"), std::string::npos)
      << kept.header("x-fulcrum-reason");
  if (!stream) {
    EXPECT_NE(kept.body.find("\"logprobs\":null"), std::string::npos) << kept.body;
  }
  auto sent = h.fake().requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(json::parse(sent[0].body).at("logprobs").as_bool(), true) << "fulcrum asks the cheap tier for logprobs";

  // Unsure: the cheap answer is discarded and Pro answers; both calls are paid for.
  h.fake().clear_requests();
  auto escalated = h.chat(body_with("auto", R"({"logprobs":true,"logprob":-0.9,"chunks":3})", stream));
  ASSERT_EQ(escalated.status, 200) << escalated.body;
  EXPECT_EQ(escalated.header("x-fulcrum-tier"), "pro");
  EXPECT_EQ(escalated.header("x-fulcrum-escalated"), "true");
  EXPECT_NE(escalated.header("x-fulcrum-reason").find("confidence -0.9 < -0.5: escalated to pro"), std::string::npos)
      << escalated.header("x-fulcrum-reason");
  sent = h.fake().requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(json::parse(sent[0].body).at("model").as_string(), "fake-flash");
  EXPECT_EQ(json::parse(sent[1].body).at("model").as_string(), "fake-pro");
  EXPECT_FALSE(json::parse(sent[1].body).as_object().contains("logprobs")) << "the strong call is the client's request";
  if (stream) {
    EXPECT_EQ(escalated.body.find("logprob\":-0.9"), std::string::npos) << "no byte of the discarded answer reaches the client";
    EXPECT_EQ(sse_data(escalated.body).back(), "[DONE]");
  }
  auto records = h.observer().wait_for(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[1].escalated);
  // The record holds both calls. Whole: Flash 10 in + 5 out, Pro 10 in + 5 out, as reported.
  // Stream: Pro's reported 10 in + 3 out, plus Flash's cut-off part, estimated from its text.
  if (!stream) {
    EXPECT_EQ(records[1].cost, 10 * 140000 + 5 * 280000 + 10 * 2500000 + 5 * 10000000);
    EXPECT_FALSE(records[1].usage.estimated);
  } else {
    const PicoUsd pro_cost = 10 * 2500000 + 3 * 10000000;
    EXPECT_GT(records[1].cost, pro_cost);
    EXPECT_LT(records[1].cost, pro_cost + 10 * 140000 + 3 * 280000);
    EXPECT_TRUE(records[1].usage.estimated) << "the discarded stream never reported usage";
  }
  // What the client is told is the request's whole cost, as the ledger holds it.
  if (!stream) {
    EXPECT_EQ(escalated.header("x-fulcrum-cost-usd"), format_usd(records[1].cost));
  } else {
    const auto at = escalated.body.find(": fulcrum-cost ");
    ASSERT_NE(at, std::string::npos);
    const auto comment = json::parse(escalated.body.substr(at + 15, escalated.body.find('\n', at) - at - 15));
    EXPECT_EQ(comment.at("cost_usd").as_string(), format_usd(records[1].cost));
    EXPECT_EQ(comment.at("estimated").as_bool(), true);
    EXPECT_EQ(comment.at("prompt_tokens").as_int64(), records[1].usage.prompt_tokens);
  }
}

TEST_P(CascadeTest, MissingLogprobsFollowOnMissing) {
  const bool stream = GetParam();
  for (const std::string mode : {"accept", "escalate"}) {
    HarnessOptions o;
    o.router_extra = "  policies:\n    - {type: cascade, cheap: flash, strong: pro, on_missing: " + mode + "}\n";
    Harness h(o);
    auto r = h.chat(body_with("auto", R"({"chunks":2})", stream));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-fulcrum-tier"), mode == "accept" ? "flash" : "pro") << mode;
    EXPECT_NE(r.header("x-fulcrum-reason").find("no logprobs"), std::string::npos) << r.header("x-fulcrum-reason");
  }
}

INSTANTIATE_TEST_SUITE_P(StreamAndWhole, CascadeTest, ::testing::Bool());

TEST(GatewayCooldown, SkipsATierThatKeepsFailing) {
  Harness h({"    cooldown: {failures: 2, duration_ms: 60000}\n", "", true, ""});
  // 3 failed attempts on flash (first + 2 retries) start the cooldown; pro answers.
  auto first = h.chat(body_with("flash", R"({"fail_first":{"key":"cd","count":3,"status":503}})"));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("x-fulcrum-tier"), "pro");
  h.fake().clear_requests();
  auto second = h.chat(body_with("flash", ""));
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.header("x-fulcrum-tier"), "pro") << "flash is cooling down";
  EXPECT_EQ(second.header("x-fulcrum-reason"), "requested tier flash; fell back to pro after: flash is cooling down");
  ASSERT_EQ(h.fake().requests().size(), 1u);
  EXPECT_EQ(json::parse(h.fake().requests()[0].body).at("model").as_string(), "fake-pro");
}

TEST(GatewayFallback, FallbacksChainAndSkipATierWithTheSameMissingKey) {
  FakeUpstream fake;
  RecordingObserver observer;
  auto loaded = load_config_text(
      "listen: 127.0.0.1:0\nthreads: 1\nlog: {access: false}\n"
      "providers:\n"
      "  fake: {base_url: \"" + fake.base_url() + "/v1\", retries: {max: 0}}\n"
      "  locked: {base_url: \"" + fake.base_url() + "/v1\", api_key_env: FULCRUM_UNSET_KEY}\n"
      "tiers:\n"
      "  a: {provider: fake, model: ma, price: {input: 1, output: 1}, fallback: [b]}\n"
      "  b: {provider: fake, model: mb, price: {input: 1, output: 1}, fallback: [c]}\n"
      "  c: {provider: fake, model: mc, price: {input: 1, output: 1}}\n"
      "  x: {provider: locked, model: mx, price: {input: 1, output: 1}, fallback: [y]}\n"
      "  y: {provider: locked, model: my, price: {input: 1, output: 1}}\n"
      "router: {default: a}\n",
      "chain.yaml");
  ASSERT_TRUE(loaded.config);
  GatewayRuntime gw(loaded.config, &observer);
  ASSERT_TRUE(gw.start());
  // a and b answer 503 (the first two calls carrying the key), c answers: a -> b -> c.
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions",
                     body_with("a", R"({"fail_first":{"key":"chain","count":2,"status":503}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "c");
  EXPECT_NE(r.header("x-fulcrum-reason").find("fell back to c"), std::string::npos) << r.header("x-fulcrum-reason");
  fake.clear_requests();
  // x has no key, and neither has its fallback y (same provider): y is not tried.
  r = http_call(gw.port(), "POST", "/v1/chat/completions", body_with("x", ""));
  EXPECT_EQ(r.status, 401);
  auto records = observer.wait_for(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].attempts, 1);
  EXPECT_EQ(records[1].tier, "x");
  EXPECT_TRUE(fake.requests().empty());
  gw.stop();
}

TEST(GatewayFallback, AContextLengthRefusalMovesTheRequestToALongerWindow) {
  FakeUpstream fake;
  RecordingObserver observer;
  auto loaded = load_config_text(
      "listen: 127.0.0.1:0\nthreads: 1\nlog: {access: false}\n"
      "providers:\n"
      "  fake: {base_url: \"" + fake.base_url() + "/v1\", retries: {max: 2, backoff_ms: 1}}\n"
      "tiers:\n"
      "  short: {provider: fake, model: ms, price: {input: 1, output: 1}, context_tokens: 1000, fallback: [long]}\n"
      "  long-dear: {provider: fake, model: md, price: {input: 9, output: 9}, context_tokens: 100000}\n"
      "  long: {provider: fake, model: ml, price: {input: 2, output: 2}, context_tokens: 100000}\n"
      "router: {default: short}\n",
      "windows.yaml");
  ASSERT_TRUE(loaded.config);
  GatewayRuntime gw(loaded.config, &observer);
  ASSERT_TRUE(gw.start());
  // The window the config declares is not the upstream's: it refuses the prompt as too long
  // (once, not retried), and the cheapest tier with a longer window answers: `long`, which is
  // also short's configured fallback (taken next, and only once).
  const std::string refusal =
      R"({"error":{"message":"This model's maximum context length is 1000 tokens. However, you requested 1500 tokens.",)"
      R"("type":"invalid_request_error","param":null,"code":"context_length_exceeded"}})";
  json::object script{{"fail_first", json::object{{"key", "ctx"}, {"count", 1}, {"status", 400}}},
                      {"error_body", refusal}};
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", body_with("short", json::serialize(script)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-fulcrum-tier"), "long");
  EXPECT_EQ(r.header("x-fulcrum-reason"),
            "requested tier short; short's context window was too small (upstream 400): moved to long");
  auto sent = fake.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(json::parse(sent[1].body).at("model").as_string(), "ml");
  auto records = observer.wait_for(1);
  EXPECT_TRUE(records[0].fell_back);
  // Any other 400 is the client's to fix: passed through, no other tier tried.
  fake.clear_requests();
  script = json::object{{"fail_first", json::object{{"key", "bad"}, {"count", 1}, {"status", 400}}}};
  r = http_call(gw.port(), "POST", "/v1/chat/completions", body_with("short", json::serialize(script)));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(fake.requests().size(), 1u);
  gw.stop();
}

TEST(GatewayListen, APortAnotherInstanceHoldsIsRefusedUnlessShared) {
  Harness running;
  const auto yaml = [&](const std::string& extra) {
    return "listen: 127.0.0.1:" + std::to_string(running.port()) + "\n" + extra +
           "providers: {p: {base_url: \"http://127.0.0.1:1\"}}\n"
           "tiers: {flash: {provider: p, model: m, price: {input: 1, output: 1}}}\nrouter: {default: flash}\n";
  };
  auto second = load_config_text(yaml(""), "second.yaml");
  ASSERT_TRUE(second.config);
  GatewayRuntime refused(second.config, nullptr);
  auto st = refused.start();
  ASSERT_FALSE(st) << "a second instance would silently take part of the traffic";
  EXPECT_NE(st.error().message.find("another process (another fulcrum?) is listening there"), std::string::npos)
      << st.error().message;
  auto shared = load_config_text(yaml("listen_shared: true\n"), "shared.yaml");
  ASSERT_TRUE(shared.config);
  GatewayRuntime sharing(shared.config, nullptr);
  EXPECT_TRUE(sharing.start()) << "asked for on purpose";
  sharing.stop();
}

}  // namespace
}  // namespace fulcrum::testing
