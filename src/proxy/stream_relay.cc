#include "proxy/stream_relay.h"

#include <algorithm>

#include "openai/answer_reader.h"

namespace fulcrum {

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
  const auto chunk = read_answer(ev.data, AnswerPart::delta, kMaxLogprobs - std::min(kMaxLogprobs, logprobs_.size()));
  if (!chunk) {  // not ours to judge: relay as is
    out.append(ev.raw);
    return;
  }
  answer_code_points_ += chunk->answer_code_points;
  logprobs_.insert(logprobs_.end(), chunk->logprobs.begin(), chunk->logprobs.end());
  if (chunk->usage) {
    usage_ = *chunk->usage;
    saw_usage_ = true;
    // fulcrum asked for this chunk on its own account; a client that did not
    // ask for it might not expect a chunk without choices.
    if (!client_wants_usage_ && chunk->choices_empty) return;
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
