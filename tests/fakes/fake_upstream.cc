#include "fakes/fake_upstream.h"

#include <sys/socket.h>

#include <deque>
#include <map>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace fulcrum::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

std::int64_t int_or(const json::object& o, std::string_view key, std::int64_t fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (auto p = it->value().if_int64()) return *p;
  if (auto p = it->value().if_uint64()) return static_cast<std::int64_t>(*p);
  if (auto p = it->value().if_double()) return static_cast<std::int64_t>(*p);
  return fallback;
}
bool bool_or(const json::object& o, std::string_view key, bool fallback) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() ? it->value().get_bool() : fallback;
}
std::string str_or(const json::object& o, std::string_view key, std::string fallback) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : fallback;
}
double double_or(const json::object& o, std::string_view key, double fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (auto p = it->value().if_double()) return *p;
  if (auto p = it->value().if_int64()) return static_cast<double>(*p);
  return fallback;
}

json::object logprob_entry(const std::string& token, double lp) {
  json::object e;
  e["token"] = token;
  e["logprob"] = lp;
  json::array bytes;
  for (unsigned char c : token) bytes.push_back(c);
  e["bytes"] = std::move(bytes);
  json::array top;
  json::object alt;
  alt["token"] = token;
  alt["logprob"] = lp;
  alt["bytes"] = e["bytes"];
  top.push_back(std::move(alt));
  e["top_logprobs"] = std::move(top);
  return e;
}

json::object usage_for(const json::object& script, std::int64_t completion_default) {
  json::object u;
  json::object in;
  if (auto it = script.find("usage"); it != script.end() && it->value().is_object()) in = it->value().get_object();
  const auto hit = int_or(in, "prompt_cache_hit_tokens", 0);
  const auto prompt = int_or(in, "prompt_tokens", 10 + hit);
  const auto miss = int_or(in, "prompt_cache_miss_tokens", prompt - hit);
  const auto completion = int_or(in, "completion_tokens", completion_default);
  u["prompt_tokens"] = prompt;
  u["completion_tokens"] = completion;
  u["total_tokens"] = prompt + completion;
  u["prompt_cache_hit_tokens"] = hit;
  u["prompt_cache_miss_tokens"] = miss;
  if (auto r = int_or(in, "reasoning_tokens", -1); r >= 0) {
    json::object details;
    details["reasoning_tokens"] = r;
    u["completion_tokens_details"] = std::move(details);
  }
  return u;
}

// DeepSeek's thinking-mode rule: with thinking enabled, every assistant turn
// that made tool calls must carry reasoning_content, or the API answers 400.
// Empty when the request passes; else DeepSeek's error body.
std::string deepseek_thinking_refusal(const json::object& body) {
  auto th = body.find("thinking");
  if (th == body.end() || !th->value().is_object() || str_or(th->value().get_object(), "type", "") != "enabled") return {};
  auto m = body.find("messages");
  if (m == body.end() || !m->value().is_array()) return {};
  const auto& messages = m->value().get_array();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto* o = messages[i].if_object();
    if (!o || str_or(*o, "role", "") != "assistant") continue;
    auto calls = o->find("tool_calls");
    if (calls == o->end() || !calls->value().is_array() || calls->value().get_array().empty()) continue;
    auto rc = o->find("reasoning_content");
    if (rc == o->end() || !rc->value().is_string())
      return R"({"error":{"message":"Missing `reasoning_content` field in the assistant message at message index )" +
             std::to_string(i) + R"(","type":"invalid_request_error","param":null,"code":"invalid_request_error"}})";
  }
  return {};
}

std::vector<std::string> split_content(const std::string& content, std::int64_t chunks) {
  std::vector<std::string> out;
  if (chunks <= 0) return out;
  for (std::int64_t i = 0; i < chunks; ++i) out.push_back("tok" + std::to_string(i) + " ");
  if (!content.empty()) out[0] = content + out[0];
  return out;
}

}  // namespace

struct FakeUpstream::Impl {
  FakeUpstream& owner;
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  mutable std::mutex mu;
  // The most recent kMaxRecorded requests. A deque never relocates what it
  // holds: the unbounded vector this was made the load bench's fake stall for
  // 10-40 ms at every doubling past a few hundred thousand requests, landing
  // in whichever target (direct, nginx, fulcrum) was being measured.
  static constexpr std::size_t kMaxRecorded = 10000;
  std::deque<RecordedRequest> recorded;
  std::map<std::string, int> fail_counts;
  std::atomic<int> next_id{0};
  std::unique_ptr<net::ssl::context> tls;  // set: serve HTTPS

  explicit Impl(FakeUpstream& o) : owner(o) {}

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(nothrow);
      if (ec) co_return;
      ++owner.connections_;
      sock.set_option(tcp::no_delay(true), ec);
      if (tls) {
        net::co_spawn(acceptor.get_executor(), tls_session(beast::tcp_stream(std::move(sock))), net::detached);
      } else {
        net::co_spawn(acceptor.get_executor(), session(beast::tcp_stream(std::move(sock))), net::detached);
      }
    }
  }

  template <class Stream>
  static void reset(Stream& s) {
    boost::system::error_code ec;
    auto& sock = beast::get_lowest_layer(s).socket();
    sock.set_option(net::socket_base::linger(true, 0), ec);
    sock.close(ec);
  }

  net::awaitable<void> tls_session(beast::tcp_stream plain) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, nothrow);
    if (ec) co_return;  // e.g. the client rejected our certificate
    beast::get_lowest_layer(stream).expires_never();
    co_await session(stream);
  }

  net::awaitable<bool> sleep_ms(std::int64_t ms) {
    if (ms <= 0) co_return true;
    net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
    co_await t.async_wait(nothrow);
    co_return true;
  }

  net::awaitable<void> session(beast::tcp_stream stream) { co_await session<beast::tcp_stream>(stream); }

  template <class Stream>
  net::awaitable<void> session(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buffer, req, nothrow);
      if (ec) co_return;
      bool keep = req.keep_alive();
      if (req.method() == http::verb::get && req.target() == "/_fake/requests") {
        json::array arr;
        {
          std::lock_guard lock(mu);
          for (const auto& r : recorded) {
            json::object o;
            o["target"] = r.target;
            o["authorization"] = r.authorization;
            o["body"] = r.body;
            o["traceparent"] = r.traceparent;
            arr.push_back(std::move(o));
          }
        }
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = json::serialize(arr);
        res.prepare_payload();
        res.keep_alive(keep);
        co_await http::async_write(stream, res, nothrow);
        if (!keep) co_return;
        continue;
      }
      {
        std::lock_guard lock(mu);
        auto auth = req.find(http::field::authorization);
        if (auth == req.end()) auth = req.find("x-api-key");  // Anthropic's key header
        auto traceparent = req.find("traceparent");
        recorded.push_back({std::string(req.target()), auth == req.end() ? "" : std::string(auth->value()), req.body(),
                            traceparent == req.end() ? "" : std::string(traceparent->value())});
        if (recorded.size() > kMaxRecorded) recorded.pop_front();
      }
      if (!co_await answer(stream, req)) co_return;
      if (!keep) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  // Returns false when the connection must not be reused.
  template <class Stream>
  net::awaitable<bool> answer(Stream& stream, const http::request<http::string_body>& req) {
    boost::system::error_code pec;
    auto parsed = json::parse(req.body(), pec);
    json::object body = !pec && parsed.is_object() ? parsed.get_object() : json::object();
    json::object script;
    if (auto it = body.find("fake"); it != body.end() && it->value().is_object()) script = it->value().get_object();
    const bool stream_mode = bool_or(body, "stream", false);
    if (req.target().ends_with("/v1/messages")) script = messages_script(body, req);
    bool include_usage = false;
    if (auto so = body.find("stream_options"); so != body.end() && so->value().is_object())
      include_usage = bool_or(so->value().get_object(), "include_usage", false);
    const std::string model = str_or(body, "model", "fake-model");

    int status = static_cast<int>(int_or(script, "status", 200));
    std::string thinking_refusal = deepseek_thinking_refusal(body);
    if (!thinking_refusal.empty()) status = 400;
    if (auto ff = script.find("fail_first"); ff != script.end() && ff->value().is_object()) {
      const auto& f = ff->value().get_object();
      const auto key = str_or(f, "key", "default");
      std::lock_guard lock(mu);
      if (fail_counts[key]++ < int_or(f, "count", 1)) status = static_cast<int>(int_or(f, "status", 503));
    }
    co_await sleep_ms(int_or(script, "delay_ms", 0));
    if (int_or(script, "reset_after", -2) == -1) {
      reset(stream);
      co_return false;
    }

    if (status != 200 || script.contains("body") || !stream_mode) {
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.set(http::field::content_type, "application/json");
      if (!thinking_refusal.empty()) {
        res.body() = thinking_refusal;
      } else if (status != 200) {
        if (auto ra = int_or(script, "retry_after", -1); ra >= 0) res.set(http::field::retry_after, std::to_string(ra));
        res.body() = str_or(script, "error_body",
            R"({"error":{"message":"fake upstream error )" + std::to_string(status) + R"(","type":"fake_error","param":null,"code":"fake"}})");
      } else if (script.contains("body")) {
        res.body() = str_or(script, "body", "");
      } else {
        res.body() = json::serialize(whole_answer(script, model));
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [ec, n] = co_await http::async_write(stream, res, nothrow);
      co_return !ec;
    }
    co_return co_await stream_answer(stream, script, model, include_usage);
  }

  // Anthropic's Messages (a provider of type anthropic): the answer is fixed, chosen by the
  // request: "[status N]" in the last user text answers that error; tools with tool_choice
  // any/tool answer a tool_use of the first tool ({"city": "Paris"}); else text. Usage: 12 input
  // tokens, 4 cache reads, 6 output. Without anthropic-version, 400 as Anthropic answers.
  static json::object messages_script(const json::object& body, const http::request<http::string_body>& req) {
    const auto error = [](int status, const std::string& type, const std::string& message) {
      json::object e{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
      return json::object{{"status", status}, {"error_body", json::serialize(e)}};
    };
    if (req.find("anthropic-version") == req.end()) return error(400, "invalid_request_error", "anthropic-version header is required");
    if (!body.contains("max_tokens")) return error(400, "invalid_request_error", "max_tokens: Field required");
    std::string last_user;
    if (auto m = body.find("messages"); m != body.end() && m->value().is_array())
      for (const auto& v : m->value().get_array()) {
        const auto* o = v.if_object();
        if (!o || str_or(*o, "role", "") != "user") continue;
        last_user.clear();
        const auto& c = o->at("content");
        if (c.is_string()) last_user = std::string(c.get_string());
        else if (c.is_array())
          for (const auto& b : c.get_array())
            if (b.is_object() && str_or(b.get_object(), "type", "") == "text") last_user += str_or(b.get_object(), "text", "");
      }
    if (auto at = last_user.find("[status "); at != std::string::npos)
      return error(std::atoi(last_user.c_str() + at + 8), "overloaded_error", "fake Messages upstream error");
    std::string tool;
    if (auto tc = body.find("tool_choice"); tc != body.end() && tc->value().is_object()) {
      const auto type = str_or(tc->value().get_object(), "type", "auto");
      if ((type == "any" || type == "tool") && body.contains("tools") && !body.at("tools").get_array().empty())
        tool = str_or(body.at("tools").get_array()[0].get_object(), "name", "tool");
    }
    const auto model = str_or(body, "model", "fake-model");
    json::object usage{{"input_tokens", 12}, {"cache_read_input_tokens", 4}, {"output_tokens", 6}};
    if (!bool_or(body, "stream", false)) {
      json::array content;
      if (tool.empty()) content.push_back(json::object{{"type", "text"}, {"text", "Hello from fake messages"}});
      else content.push_back(json::object{{"type", "tool_use"}, {"id", "toolu_fake"}, {"name", tool}, {"input", {{"city", "Paris"}}}});
      json::object m{{"id", "msg_fake"}, {"type", "message"}, {"role", "assistant"}, {"model", model},
                     {"content", std::move(content)}, {"stop_reason", tool.empty() ? "end_turn" : "tool_use"},
                     {"stop_sequence", nullptr}, {"usage", usage}};
      return json::object{{"body", json::serialize(m)}};
    }
    json::array events;
    const auto event = [&](const std::string& type, json::object data) {
      data["type"] = type;
      events.push_back(json::string("event: " + type + "\ndata: " + json::serialize(data) + "\n\n"));
    };
    json::object start_usage{{"input_tokens", 12}, {"cache_read_input_tokens", 4}, {"output_tokens", 1}};
    event("message_start", {{"message", {{"id", "msg_fake"}, {"type", "message"}, {"role", "assistant"}, {"model", model},
                                          {"content", json::array{}}, {"usage", start_usage}}}});
    event("ping", {});
    if (tool.empty()) {
      event("content_block_start", {{"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
      for (const char* piece : {"Hello from", " fake messages"})
        event("content_block_delta", {{"index", 0}, {"delta", {{"type", "text_delta"}, {"text", piece}}}});
    } else {
      json::object block{{"type", "tool_use"}, {"id", "toolu_fake"}, {"name", tool}, {"input", json::object{}}};
      event("content_block_start", {{"index", 0}, {"content_block", std::move(block)}});
      for (const char* piece : {"{\"city\": ", "\"Paris\"}"})
        event("content_block_delta", {{"index", 0}, {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}});
    }
    event("content_block_stop", {{"index", 0}});
    event("message_delta", {{"delta", {{"stop_reason", tool.empty() ? "end_turn" : "tool_use"}}}, {"usage", {{"output_tokens", 6}}}});
    event("message_stop", {});
    return json::object{{"sse_raw", std::move(events)}};
  }

  json::object whole_answer(const json::object& script, const std::string& model) {
    const auto content = str_or(script, "content", "Hello from fake");
    json::object msg;
    msg["role"] = "assistant";
    msg["content"] = content;
    if (auto r = str_or(script, "reasoning", ""); !r.empty()) msg["reasoning_content"] = r;
    if (auto tc = script.find("tool_call"); tc != script.end() && tc->value().is_object()) {
      json::object call;
      call["id"] = "call_fake_1";
      call["type"] = "function";
      json::object fn;
      fn["name"] = str_or(tc->value().get_object(), "name", "fn");
      fn["arguments"] = str_or(tc->value().get_object(), "arguments", "{}");
      call["function"] = std::move(fn);
      msg["tool_calls"] = json::array{std::move(call)};
      msg["content"] = nullptr;
    }
    json::object choice;
    choice["index"] = 0;
    choice["message"] = std::move(msg);
    choice["finish_reason"] = script.contains("tool_call") ? "tool_calls" : "stop";
    if (bool_or(script, "logprobs", false)) {
      json::array lps;
      lps.push_back(logprob_entry(content.substr(0, 5), double_or(script, "logprob", -0.1)));
      json::object lp;
      lp["content"] = std::move(lps);
      choice["logprobs"] = std::move(lp);
    } else {
      choice["logprobs"] = nullptr;
    }
    json::object out;
    out["id"] = "chatcmpl-fake-" + std::to_string(next_id++);
    out["object"] = "chat.completion";
    out["created"] = 1700000000;
    out["model"] = model;
    out["choices"] = json::array{std::move(choice)};
    if (!bool_or(script, "no_usage", false)) out["usage"] = usage_for(script, 5);
    return out;
  }

  template <class Stream>
  net::awaitable<bool> stream_answer(Stream& stream, const json::object& script, const std::string& model,
                                     bool include_usage) {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "text/event-stream");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(stream, sr, nothrow);
    if (hec) co_return false;

    std::vector<std::string> events;
    if (auto raw = script.find("sse_raw"); raw != script.end() && raw->value().is_array()) {
      for (const auto& r : raw->value().get_array())
        if (r.is_string()) events.emplace_back(r.get_string());
    } else {
      const auto id = "chatcmpl-fake-" + std::to_string(next_id++);
      auto chunk = [&](json::object delta, json::value finish, json::value logprobs) {
        json::object choice;
        choice["index"] = 0;
        choice["delta"] = std::move(delta);
        choice["logprobs"] = std::move(logprobs);
        choice["finish_reason"] = std::move(finish);
        json::object c;
        c["id"] = id;
        c["object"] = "chat.completion.chunk";
        c["created"] = 1700000000;
        c["model"] = model;
        c["choices"] = json::array{std::move(choice)};
        if (include_usage) c["usage"] = nullptr;
        return "data: " + json::serialize(c) + "\n\n";
      };
      json::object first;
      first["role"] = "assistant";
      first["content"] = "";
      events.push_back(chunk(first, nullptr, nullptr));
      if (auto r = str_or(script, "reasoning", ""); !r.empty()) {
        json::object d;
        d["reasoning_content"] = r;
        events.push_back(chunk(d, nullptr, nullptr));
      }
      std::string content = str_or(script, "content", "");
      for (auto n = int_or(script, "repeat", 1); n > 1 && content.size() < (64u << 20); --n) content += str_or(script, "content", "");
      const auto pieces = split_content(content, int_or(script, "chunks", 3));
      const bool lp = bool_or(script, "logprobs", false);
      for (const auto& p : pieces) {
        json::object d;
        d["content"] = p;
        json::value lpv = nullptr;
        if (lp) {
          json::object l;
          l["content"] = json::array{logprob_entry(p, double_or(script, "logprob", -0.1))};
          lpv = std::move(l);
        }
        events.push_back(chunk(d, nullptr, std::move(lpv)));
      }
      events.push_back(chunk(json::object(), "stop", nullptr));
      if (include_usage && !bool_or(script, "no_usage", false)) {
        json::object c;
        c["id"] = id;
        c["object"] = "chat.completion.chunk";
        c["created"] = 1700000000;
        c["model"] = model;
        c["choices"] = json::array();
        c["usage"] = usage_for(script, static_cast<std::int64_t>(pieces.size()));
        events.push_back("data: " + json::serialize(c) + "\n\n");
      }
      if (!bool_or(script, "no_done", false)) events.push_back("data: [DONE]\n\n");
    }

    const auto delay = int_or(script, "chunk_delay_ms", 0);
    const auto reset_after = int_or(script, "reset_after", -2);
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (reset_after >= 0 && static_cast<std::int64_t>(i) == reset_after) {
        reset(stream);
        co_return false;
      }
      if (i > 0) co_await sleep_ms(delay);
      auto [ec, n] = co_await net::async_write(stream, http::make_chunk(net::buffer(events[i])), nothrow);
      if (ec) co_return false;
    }
    auto [ec, n] = co_await net::async_write(stream, http::make_chunk_last(), nothrow);
    co_return !ec;
  }
};

FakeUpstream::FakeUpstream(std::uint16_t port, int threads, const std::string& cert_pem_file,
                           const std::string& key_pem_file)
    : impl_(std::make_unique<Impl>(*this)) {
  if (!cert_pem_file.empty()) {
    impl_->tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(cert_pem_file);
    impl_->tls->use_private_key_file(key_pem_file, net::ssl::context::pem);
  }
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  for (int i = 0; i < threads; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

FakeUpstream::~FakeUpstream() {
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mu);
  return {impl_->recorded.begin(), impl_->recorded.end()};
}

void FakeUpstream::clear_requests() {
  std::lock_guard lock(impl_->mu);
  impl_->recorded.clear();
}

}  // namespace fulcrum::testing
