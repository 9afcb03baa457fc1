#pragma once
// An Upstream with no network: each call takes the next scripted answer (per
// provider model), and every request it was sent is kept for the test to read.
// With RecordingSink (what the client would have received) the proxy runs
// whole in one io_context, in microseconds, with no sockets.
#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "http/exchange.h"
#include "http/upstream.h"

namespace fulcrum::testing {

struct ScriptedAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{{"content-type", "application/json"}};
  std::vector<std::string> chunks;     // the body, as read_some() hands it out
  std::optional<Error> start_error;    // the call fails before any answer (connect, timeout)
  std::optional<Error> error_after;    // the body breaks off after its chunks

  static ScriptedAnswer json(int status, std::string body) {
    ScriptedAnswer a;
    a.status = status;
    a.chunks = {std::move(body)};
    return a;
  }
  static ScriptedAnswer events(std::vector<std::string> events) {
    ScriptedAnswer a;
    a.headers = {{"content-type", "text/event-stream"}};
    for (auto& e : events) a.chunks.push_back("data: " + e + "\n\n");
    return a;
  }
};

class InMemoryResponse final : public UpstreamResponse {
 public:
  InMemoryResponse(ScriptedAnswer answer, AbortHandle& abort) : answer_(std::move(answer)), abort_(abort) {}
  int status() const override { return answer_.status; }
  std::string_view header(std::string_view name) const override {
    for (const auto& [k, v] : answer_.headers)
      if (std::equal(k.begin(), k.end(), name.begin(), name.end(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return v;
    return {};
  }
  bool is_event_stream() const override { return header("content-type").starts_with("text/event-stream"); }
  boost::asio::awaitable<Result<std::string>> read_body(std::size_t limit) override {
    std::string out;
    for (;;) {
      auto more = co_await read_some(out);
      if (!more) co_return std::move(more).error();
      if (out.size() > limit) co_return make_error(Errc::upstream_bad_response, "too large");
      if (!*more) co_return out;
    }
  }
  boost::asio::awaitable<Result<bool>> read_some(std::string& out) override {
    if (aborted_ || abort_.aborted()) co_return make_error(Errc::client_closed, "the client closed the connection");
    if (next_ < answer_.chunks.size()) out += answer_.chunks[next_++];
    else if (answer_.error_after) co_return *answer_.error_after;
    co_return next_ < answer_.chunks.size() || answer_.error_after.has_value();
  }
  void abort() override { aborted_ = true; }

 private:
  ScriptedAnswer answer_;
  AbortHandle& abort_;
  std::size_t next_ = 0;
  bool aborted_ = false;
};

class InMemoryUpstream final : public Upstream {
 public:
  struct Sent {
    std::string provider;
    UpstreamRequest request;
    std::string model() const { return std::string(boost::json::parse(request.body).at("model").as_string()); }
  };

  // Answers for calls whose body names `model`, in order; the last one repeats.
  void script(const std::string& model, std::vector<ScriptedAnswer> answers) {
    for (auto& a : answers) scripts_[model].push_back(std::move(a));
  }

  boost::asio::awaitable<Result<std::unique_ptr<UpstreamResponse>>> start(const Provider& provider,
                                                                          const UpstreamRequest& request,
                                                                          AbortHandle& abort) override {
    sent.push_back(Sent{provider.name, request});
    auto& queue = scripts_[sent.back().model()];
    if (queue.empty()) co_return make_error(Errc::internal, "no answer scripted for " + sent.back().model());
    ScriptedAnswer answer = queue.size() > 1 ? std::move(queue.front()) : queue.front();
    if (queue.size() > 1) queue.pop_front();
    if (answer.start_error) co_return *answer.start_error;
    co_return std::unique_ptr<UpstreamResponse>(std::make_unique<InMemoryResponse>(std::move(answer), abort));
  }

  std::vector<Sent> sent;

 private:
  std::map<std::string, std::deque<ScriptedAnswer>> scripts_;
};

// What the client would have received.
class RecordingSink final : public ResponseSink {
 public:
  boost::asio::awaitable<bool> send(int s, HeaderList h, std::string b, std::string_view type) override {
    status = s;
    headers = std::move(h);
    body = std::move(b);
    content_type = type;
    started_ = true;
    co_return true;
  }
  boost::asio::awaitable<bool> begin_stream(int s, HeaderList h, std::string_view type) override {
    status = s;
    headers = std::move(h);
    content_type = type;
    started_ = streamed = true;
    co_return true;
  }
  boost::asio::awaitable<bool> write(std::string_view bytes) override {
    body += bytes;
    if (close_after_writes && --*close_after_writes == 0 && on_close_) on_close_();
    co_return !closed();
  }
  boost::asio::awaitable<bool> end_stream(std::string_view last) override {
    body += last;
    ended = true;
    co_return !closed();
  }
  bool started() const override { return started_; }
  void watch_client_close(std::function<void()> on_close) override { on_close_ = std::move(on_close); }
  void stop_watching() override { on_close_ = nullptr; }

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
  bool closed() const { return close_after_writes && *close_after_writes <= 0; }

  int status = 0;
  HeaderList headers;
  std::string body, content_type;
  bool streamed = false, ended = false;
  std::optional<int> close_after_writes;  // the client goes away after this many stream writes

 private:
  bool started_ = false;
  std::function<void()> on_close_;
};

}  // namespace fulcrum::testing
