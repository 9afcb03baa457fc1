// OpenTelemetry traces: the gateway continues the client's W3C trace, exports
// a request span and a span per upstream attempt to an OTLP/HTTP collector
// (here a stand-in that records what it receives), and forwards the context
// upstream.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "harness.h"

namespace fulcrum::testing {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

// Receives OTLP/HTTP posts and keeps their bodies; answers `status`.
class CollectorStandIn {
 public:
  explicit CollectorStandIn(unsigned status = 200)
      : status_(status), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      for (;;) {
        asio::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        boost::beast::flat_buffer buffer;
        bhttp::request<bhttp::string_body> req;
        bhttp::read(socket, buffer, req, ec);
        if (ec) continue;
        {
          std::lock_guard lock(mu_);
          posts_.push_back({std::string(req.target()), std::string(req[bhttp::field::content_type]), req.body()});
        }
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status_), 11};
        res.body() = "{}";
        res.prepare_payload();
        bhttp::write(socket, res, ec);
      }
    });
  }
  ~CollectorStandIn() {
    stopping_ = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes the blocking accept
    thread_.join();
  }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1/traces";
  }
  struct Post {
    std::string target, content_type, body;
  };
  std::vector<Post> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }
  // Every span received, in order.
  std::vector<json::object> spans() {
    std::vector<json::object> out;
    for (const auto& p : posts()) {
      const auto body = json::parse(p.body);  // kept: a range-for over a temporary's member dangles
      for (const auto& rs : body.at("resourceSpans").as_array())
        for (const auto& ss : rs.at("scopeSpans").as_array())
          for (const auto& s : ss.at("spans").as_array()) out.push_back(s.as_object());
    }
    return out;
  }

 private:
  unsigned status_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<Post> posts_;
  std::thread thread_;
};

HarnessOptions traced(const std::string& endpoint, const std::string& extra = "") {
  HarnessOptions o;
  o.operations = true;
  o.top_extra = "ledger: {path: null}\nobservability: {traces: {otlp_endpoint: \"" + endpoint +
                "\", service_name: gw-test, flush_ms: 20" + extra + "}}\n";
  return o;
}

std::string attribute(const json::object& span, const std::string& key) {
  for (const auto& a : span.at("attributes").as_array()) {
    if (a.at("key").as_string() != key) continue;
    const auto& v = a.at("value").as_object();
    if (v.contains("stringValue")) return std::string(v.at("stringValue").as_string());
    if (v.contains("intValue")) return std::string(v.at("intValue").as_string());
    if (v.contains("boolValue")) return v.at("boolValue").as_bool() ? "true" : "false";
    if (v.contains("doubleValue")) return std::to_string(v.at("doubleValue").as_double());
  }
  return "<absent>";
}

// A request's record reaches the observers just after its answer went out: wait for the
// n records, then for their export.
void export_spans(Harness& h, std::size_t requests) {
  ASSERT_EQ(h.observer().wait_for(requests).size(), requests);
  h.ops().traces()->flush();
}

const std::string kClientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kClientSpan = "00f067aa0ba902b7";

TEST(Traces, ContinueTheClientsTraceWithARequestSpanAndAnAttemptSpan) {
  CollectorStandIn collector;
  Harness h(traced(collector.endpoint()));
  auto r = h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})",
                  {{"traceparent", "00-" + kClientTrace + "-" + kClientSpan + "-01"}, {"tracestate", "vendor=abc"}});
  ASSERT_EQ(r.status, 200) << r.body;
  export_spans(h, 1);

  const auto posts = collector.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].target, "/v1/traces");
  EXPECT_EQ(posts[0].content_type, "application/json");
  const auto resource = json::parse(posts[0].body).at("resourceSpans").at(0).at("resource").as_object();
  EXPECT_EQ(attribute(resource, "service.name"), "gw-test");
  const auto spans = collector.spans();
  ASSERT_EQ(spans.size(), 2u);
  const auto& request = spans[0];
  const auto& attempt = spans[1];

  // The request span: the client's trace, the client's span as parent, GenAI conventions + fulcrum's own.
  EXPECT_EQ(request.at("traceId").as_string(), kClientTrace);
  EXPECT_EQ(request.at("parentSpanId").as_string(), kClientSpan);
  EXPECT_EQ(request.at("kind").as_int64(), 2);
  EXPECT_EQ(request.at("name").as_string(), "chat flash");
  EXPECT_EQ(attribute(request, "gen_ai.operation.name"), "chat");
  EXPECT_EQ(attribute(request, "gen_ai.request.model"), "flash");
  EXPECT_EQ(attribute(request, "gen_ai.response.model"), "fake-flash");
  EXPECT_NE(attribute(request, "gen_ai.usage.input_tokens"), "0");
  EXPECT_NE(attribute(request, "gen_ai.usage.output_tokens"), "0");
  EXPECT_EQ(attribute(request, "fulcrum.tier"), "flash");
  EXPECT_NE(attribute(request, "fulcrum.reason"), "<absent>");
  EXPECT_NE(attribute(request, "fulcrum.cost_usd"), "0");
  EXPECT_EQ(attribute(request, "fulcrum.request_id"), r.header("x-fulcrum-request-id"));
  EXPECT_EQ(attribute(request, "http.response.status_code"), "200");
  EXPECT_EQ(request.at("status").at("code").as_int64(), 1);
  const auto start = std::stoll(std::string(request.at("startTimeUnixNano").as_string()));
  const auto end = std::stoll(std::string(request.at("endTimeUnixNano").as_string()));
  EXPECT_GT(start, 1700000000LL * 1000000000LL);
  EXPECT_GE(end, start);

  // The attempt: a CLIENT child of the request span, and the context the upstream received.
  EXPECT_EQ(attempt.at("traceId").as_string(), kClientTrace);
  EXPECT_EQ(attempt.at("parentSpanId").as_string(), request.at("spanId").as_string());
  EXPECT_EQ(attempt.at("kind").as_int64(), 3);
  EXPECT_EQ(attribute(attempt, "gen_ai.request.model"), "fake-flash");
  EXPECT_EQ(attribute(attempt, "gen_ai.provider.name"), "fake");
  EXPECT_EQ(attribute(attempt, "http.response.status_code"), "200");
  EXPECT_EQ(h.fake().requests().back().traceparent,
            "00-" + kClientTrace + "-" + std::string(attempt.at("spanId").as_string()) + "-01");
  const auto metrics = http_call(h.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("\nfulcrum_trace_spans_exported_total 2\n"), std::string::npos) << metrics;
}

TEST(Traces, AFallbackIsOneChildSpanPerAttempt) {
  CollectorStandIn collector;
  Harness h(traced(collector.endpoint()));
  // `dead` is a closed port (retried once), then its fallback `pro` answers.
  auto r = h.chat(R"({"model":"dead","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  export_spans(h, 1);
  const auto spans = collector.spans();
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].at("kind").as_int64(), 2);
  EXPECT_FALSE(spans[0].contains("parentSpanId")) << "no client context: the gateway's span is the root";
  EXPECT_EQ(attribute(spans[0], "fulcrum.fell_back"), "true");
  for (int i : {1, 2}) {
    EXPECT_EQ(attribute(spans[i], "fulcrum.tier"), "dead");
    EXPECT_EQ(spans[i].at("status").at("code").as_int64(), 2) << "the closed port failed";
    EXPECT_EQ(attribute(spans[i], "error.type"), "upstream_failure");
  }
  EXPECT_EQ(attribute(spans[3], "fulcrum.tier"), "pro");
  EXPECT_EQ(spans[3].at("status").at("code").as_int64(), 1);
  for (const auto& s : spans) EXPECT_EQ(s.at("traceId").as_string(), spans[0].at("traceId").as_string());
  // The new trace reached the upstream too.
  EXPECT_EQ(h.fake().requests().back().traceparent.substr(0, 35), "00-" + std::string(spans[0].at("traceId").as_string()));
}

TEST(Traces, AnUnsampledClientTraceIsForwardedNotExported) {
  CollectorStandIn collector;
  Harness h(traced(collector.endpoint(), ", sample_ratio: 1"));
  ASSERT_EQ(h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})",
                   {{"traceparent", "00-" + kClientTrace + "-" + kClientSpan + "-00"}}).status, 200);
  // A malformed traceparent starts a new trace instead.
  ASSERT_EQ(h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})",
                   {{"traceparent", "00-" + std::string(32, '0') + "-" + kClientSpan + "-01"}}).status, 200);
  export_spans(h, 2);
  const auto requests = h.fake().requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].traceparent.substr(0, 36), "00-" + kClientTrace + "-");
  EXPECT_EQ(requests[0].traceparent.substr(52), "-00") << "the client's decision travels on";
  const auto spans = collector.spans();
  ASSERT_EQ(spans.size(), 2u) << "only the second (new, sampled) trace is exported";
  EXPECT_NE(spans[0].at("traceId").as_string(), std::string(32, '0'));
}

TEST(Traces, ACollectorThatFailsCostsTheRequestsNothing) {
  CollectorStandIn collector(503);
  Harness h(traced(collector.endpoint()));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})").status, 200);
  export_spans(h, 3);
  EXPECT_GE(collector.posts().size(), 1u);
  EXPECT_EQ(h.ops().traces()->exported(), 0u);
  EXPECT_EQ(h.ops().traces()->dropped(), 6u) << "3 requests x (1 + 1 attempt) spans, counted";
  EXPECT_GE(h.ops().traces()->export_errors(), 1u);
}

TEST(Traces, OffTheClientsContextStillReachesTheUpstream) {
  HarnessOptions o;
  Harness h(o);
  ASSERT_EQ(h.chat(R"({"model":"flash","messages":[{"role":"user","content":"hi"}]})",
                   {{"traceparent", "00-" + kClientTrace + "-" + kClientSpan + "-01"}}).status, 200);
  EXPECT_EQ(h.fake().requests().back().traceparent, "00-" + kClientTrace + "-" + kClientSpan + "-01");
}

}  // namespace
}  // namespace fulcrum::testing
