#include "proxy/stream_relay.h"

#include <algorithm>

#include "core/text_search.h"
#include "openai/answer_reader.h"

namespace fulcrum {

namespace {

// The backlog's bound: past it, the kept events are counted and dropped.
constexpr std::size_t kBacklogBytes = 16 * 1024;

// Whether a chunk's JSON may hold a usage object: a "usage" key whose value
// opens an object. Cheap, and never wrong in the direction that matters: a
// usage object cannot be written without this text, but for a key spelled
// with \u escapes, so any escape sends the chunk to the parser too. A false
// alarm (the text in a nested object) only costs a parse.
bool may_hold_usage(std::string_view data) {
  constexpr std::string_view kKey = "\"usage\"";
  // The first byte at or after `i` that is not JSON whitespace (data.size() if none).
  const auto skip_blanks = [&](std::size_t i) {
    while (i < data.size() && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) ++i;
    return i;
  };
  for (auto at = find_common(data, kKey); at != std::string_view::npos; at = find_common(data, kKey, at + 1)) {
    const std::size_t colon = skip_blanks(at + kKey.size());
    if (colon == data.size() || data[colon] != ':') continue;
    const std::size_t value = skip_blanks(colon + 1);
    if (value < data.size() && data[value] == '{') return true;
  }
  return contains_common(data, "\\u");
}

}  // namespace

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
  if (!wants_logprobs_ && !may_hold_usage(ev.data)) {
    // Its characters count only if usage never comes: keep it for then.
    if (!saw_usage_) {
      if (ev.data.size() > kBacklogBytes) {
        count(ev.data);
      } else {
        if (backlog_.size() + ev.data.size() > kBacklogBytes) count_backlog();
        backlog_.append(ev.data);
        backlog_ends_.push_back(static_cast<std::uint32_t>(backlog_.size()));
      }
    }
    out.append(ev.raw);
    return;
  }
  const auto chunk = read_answer(ev.data, AnswerPart::delta,
                                 wants_logprobs_ ? kMaxLogprobs - std::min(kMaxLogprobs, logprobs_.size()) : 0);
  if (!chunk) {  // not ours to judge: relay as is
    out.append(ev.raw);
    return;
  }
  answer_code_points_ += chunk->answer_code_points;
  logprobs_.insert(logprobs_.end(), chunk->logprobs.begin(), chunk->logprobs.end());
  if (chunk->usage) {
    usage_ = *chunk->usage;
    saw_usage_ = true;
    backlog_.clear();  // usage came: the kept characters will not be needed
    backlog_ends_.clear();
    // fulcrum asked for this chunk on its own account; a client that did not
    // ask for it might not expect a chunk without choices.
    if (!client_wants_usage_ && chunk->choices_empty) return;
  }
  out.append(ev.raw);
}

void StreamAccounting::count(std::string_view data) {
  if (const auto chunk = read_answer(data, AnswerPart::delta, 0)) answer_code_points_ += chunk->answer_code_points;
}

void StreamAccounting::count_backlog() {
  std::size_t begin = 0;
  for (const auto end : backlog_ends_) {
    count(std::string_view(backlog_.data() + begin, end - begin));
    begin = end;
  }
  backlog_.clear();
  backlog_ends_.clear();
}

std::int64_t StreamAccounting::answer_code_points() {
  count_backlog();
  return answer_code_points_;
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
