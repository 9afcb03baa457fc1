#include "integration/harness.h"

#include <cstdlib>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "config/load.h"

namespace fulcrum::testing {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

HttpResult to_result(const http::response<http::string_body>& res) {
  HttpResult r;
  r.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = res.body();
  return r;
}

http::request<http::string_body> make_request(const std::string& method, const std::string& target,
                                              const std::string& body,
                                              const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  return req;
}

}  // namespace

HttpResult http_call(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body, const std::map<std::string, std::string>& headers) {
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  auto req = make_request(method, target, body, headers);
  http::write(stream, req, ec);
  if (ec) return {};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(method == "HEAD");  // a HEAD answer announces a body it does not send
  http::read(stream, buffer, parser, ec);
  if (ec && ec != http::error::end_of_stream) return {};
  return to_result(parser.get());
}

std::vector<HttpResult> http_calls_keep_alive(std::uint16_t port, const std::vector<std::string>& bodies) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  beast::flat_buffer buffer;
  std::vector<HttpResult> out;
  for (const auto& b : bodies) {
    auto req = make_request("POST", "/v1/chat/completions", b, {});
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    out.push_back(to_result(res));
  }
  return out;
}

void RecordingObserver::on_request_done(const RequestRecord& record) {
  {
    std::lock_guard lock(mu_);
    records_.push_back(record);
  }
  cv_.notify_all();
}

std::vector<RequestRecord> RecordingObserver::wait_for(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return records_.size() >= n; })) return {};
  return records_;
}

Harness::Harness(const HarnessOptions& o) {
  const auto with_fake = [this](std::string yaml) {
    for (auto at = yaml.find("{FAKE}"); at != std::string::npos; at = yaml.find("{FAKE}"))
      yaml.replace(at, 6, fake_.base_url());
    return yaml;
  };
  if (o.api_key) ::setenv("FULCRUM_TEST_KEY", "sk-test-secret", 1);
  else ::unsetenv("FULCRUM_TEST_KEY");
  ::unsetenv("FULCRUM_UNSET_KEY");
  // A port nothing listens on: bind, read the port, close.
  std::uint16_t dead_port;
  {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    dead_port = a.local_endpoint().port();
  }
  const std::string yaml =
      "listen: 127.0.0.1:0\nthreads: " + std::to_string(o.threads) + "\nmax_body_bytes: 65536\nlog: {access: false}\n" +
      o.top_extra +
      "providers:\n"
      "  fake:\n"
      "    base_url: " + fake_.base_url() + "/v1\n"
      "    api_key_env: FULCRUM_TEST_KEY\n"
      "    timeouts: {connect_ms: 1000, first_byte_ms: 1000, total_ms: 5000}\n"
      "    retries: {max: 2, backoff_ms: 1}\n" + o.provider_extra +
      "  dead:\n"
      "    base_url: http://127.0.0.1:" + std::to_string(dead_port) + "\n"
      "    retries: {max: 1, backoff_ms: 1}\n"
      "  locked:\n"
      "    base_url: " + fake_.base_url() + "\n"
      "    api_key_env: FULCRUM_UNSET_KEY\n"
      + with_fake(o.more_providers) +
      "tiers:\n" + with_fake(o.more_tiers) +
      "  flash:\n"
      "    provider: fake\n"
      "    model: fake-flash\n"
      "    params: {thinking: {type: disabled}}\n"
      "    price: {input: 0.14, cached_input: 0.0028, output: 0.28}\n"
      "    fallback: [pro]\n"
      "  pro:\n"
      "    provider: fake\n"
      "    model: fake-pro\n"
      "    params: {thinking: {type: enabled}, reasoning_effort: max}\n"
      "    price: {input: 2.5, output: 10}\n"
      "  dead:\n"
      "    provider: dead\n"
      "    model: m\n"
      "    price: {input: 1, output: 1}\n"
      "    fallback: [pro]\n"
      "  keyless:\n"
      "    provider: locked\n"
      "    model: m\n"
      "    price: {input: 1, output: 1}\n"
      "router:\n"
      "  default: flash\n"
      "  aliases: [gpt-4o]\n" + o.router_extra;
  auto loaded = load_config_text(yaml, "harness.yaml");
  if (!loaded.config) {
    std::string all;
    for (const auto& e : loaded.errors) all += e + "\n";
    throw std::runtime_error("harness config invalid:\n" + all);
  }
  config_ = loaded.config;
  if (o.operations) {
    auto ops = Operations::create(config_, &observer_);
    if (!ops) throw std::runtime_error(ops.error().message);
    ops_ = std::move(ops.value());
    runtime_ = std::make_unique<GatewayRuntime>(config_, ops_->services());
  } else {
    runtime_ = std::make_unique<GatewayRuntime>(config_, GatewayServices{&observer_, o.feedback});
  }
  auto st = runtime_->start();
  if (!st) throw std::runtime_error(st.error().message);
}

Harness::~Harness() { runtime_->stop(); }

std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    auto event = body.substr(pos, end - pos);
    if (event.rfind("data: ", 0) == 0) out.push_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

}  // namespace fulcrum::testing
