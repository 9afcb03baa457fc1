#include "proxy/stream_relay.h"

#include <boost/json.hpp>

#include "core/token_estimate.h"

namespace fulcrum {
namespace {

std::int64_t delta_code_points(const boost::json::array& choices) {
  std::int64_t n = 0;
  for (const auto& c : choices)
    if (const auto* co = c.if_object())
      if (auto d = co->find("delta"); d != co->end() && d->value().is_object()) n += answer_code_points(d->value().get_object());
  return n;
}

}  // namespace

std::int64_t answer_code_points(const boost::json::object& message) {
  const auto count = [](const boost::json::value& v) {
    const auto* s = v.if_string();
    return s ? count_code_points(std::string_view(s->data(), s->size())) : 0;
  };
  std::int64_t n = 0;
  for (const char* key : {"content", "reasoning_content"})
    if (auto it = message.find(key); it != message.end()) n += count(it->value());
  if (auto tc = message.find("tool_calls"); tc != message.end())
    if (auto* calls = tc->value().if_array())
      for (const auto& call : *calls)
        if (auto* callo = call.if_object())
          if (auto fn = callo->find("function"); fn != callo->end())
            if (auto* fno = fn->value().if_object())
              if (auto args = fno->find("arguments"); args != fno->end()) n += count(args->value());
  return n;
}

void append_logprobs(const boost::json::value& choice, std::vector<double>& out) {
  const auto* co = choice.if_object();
  if (!co) return;
  auto lp = co->find("logprobs");
  if (lp == co->end() || !lp->value().is_object()) return;
  auto content = lp->value().get_object().find("content");
  if (content == lp->value().get_object().end() || !content->value().is_array()) return;
  for (const auto& tok : content->value().get_array())
    if (auto* to = tok.if_object())
      if (auto v = to->find("logprob"); v != to->end() && v->value().is_number())
        out.push_back(v->value().to_number<double>());
}

void StreamAccounting::on_event(const SseEvent& ev, std::string& out,
                                const std::function<std::string()>& cost_comment) {
  if (saw_done_) return;  // the stream ended at [DONE]: anything after it is not relayed, nor charged twice
  if (!ev.has_data) {
    out.append(ev.raw);
    return;
  }
  if (ev.data == "[DONE]") {
    saw_done_ = true;
    out.append(cost_comment());
    out.append(ev.raw);
    return;
  }
  // Each event is parsed into a stack arena: no heap traffic for typical chunks.
  unsigned char scratch[4096];
  boost::json::monotonic_resource arena(scratch, sizeof scratch);
  boost::system::error_code ec;
  auto v = boost::json::parse(ev.data, ec, &arena);
  const auto* obj = ec ? nullptr : v.if_object();
  if (!obj) {  // not ours to judge: relay as is
    out.append(ev.raw);
    return;
  }
  bool choices_empty = true;
  if (auto it = obj->find("choices"); it != obj->end())
    if (auto* arr = it->value().if_array()) {
      choices_empty = arr->empty();
      answer_code_points_ += delta_code_points(*arr);
      if (!arr->empty() && logprobs_.size() < 256) append_logprobs((*arr)[0], logprobs_);
    }
  if (auto it = obj->find("usage"); it != obj->end())
    if (auto* u = it->value().if_object()) {
      usage_ = parse_usage(*u);
      saw_usage_ = true;
      // fulcrum asked for this chunk on its own account; a client that did not
      // ask for it might not expect a chunk without choices.
      if (!client_wants_usage_ && choices_empty) return;
    }
  out.append(ev.raw);
}

void StreamAccounting::feed(std::string_view bytes, std::string& out,
                            const std::function<std::string()>& cost_comment) {
  parser_.feed(bytes);
  SseEvent ev;
  while (parser_.next(ev)) on_event(ev, out, cost_comment);
}

void StreamAccounting::finish(std::string& out, const std::function<std::string()>& cost_comment) {
  if (!parser_.pending().empty()) {
    // Some servers end the stream without the final blank line.
    const auto tail = parser_.pending();
    parser_.feed(tail.back() == '\n' || tail.back() == '\r' ? "\n" : "\n\n");
    SseEvent ev;
    while (parser_.next(ev)) on_event(ev, out, cost_comment);
  }
}

}  // namespace fulcrum
