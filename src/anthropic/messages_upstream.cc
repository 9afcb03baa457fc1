#include "anthropic/messages_upstream.h"

#include <algorithm>

#include <boost/json.hpp>

#include "core/json_parse.h"
#include "core/money.h"
#include "openai/chat_request.h"
#include "openai/client_api.h"

namespace fulcrum {
namespace json = boost::json;

namespace {

// A count from the upstream, clamped to [0, 2^40] so that sums of them cannot overflow.
std::int64_t int_or(const json::object& o, std::string_view name) {
  constexpr std::int64_t kMax = kMaxTokenCount;  // counts and max_tokens alike
  const auto* v = o.if_contains(name);
  if (!v) return 0;
  if (v->is_int64()) return std::clamp<std::int64_t>(v->get_int64(), 0, kMax);
  if (v->is_uint64()) return v->get_uint64() > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

// A chat message's text: a string, or its text parts joined.
std::string text_of(const json::value* content) {
  std::string out;
  if (content) for_each_text(*content, [&](std::string_view t) { out += t; });
  return out;
}

// A chat image_url part as an image block: a data: URL becomes base64, anything else a url source.
json::object image_block(const json::object& part) {
  std::string url;
  if (const auto* iu = part.if_contains("image_url")) {
    if (iu->is_string()) url = std::string(iu->get_string());
    else if (const auto* o = iu->if_object()) url = string_or_empty(*o, "url");
  }
  if (url.starts_with("data:") && url.find(";base64,") != std::string::npos) {
    const auto comma = url.find(";base64,");
    return {{"type", "image"},
            {"source", {{"type", "base64"}, {"media_type", url.substr(5, comma - 5)}, {"data", url.substr(comma + 8)}}}};
  }
  return {{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
}

// A user or assistant chat message's content as blocks.
json::array content_blocks(const json::object& m) {
  json::array blocks;
  const auto* content = m.if_contains("content");
  if (content && content->is_string()) {
    if (!content->get_string().empty()) blocks.push_back(json::object{{"type", "text"}, {"text", content->get_string()}});
  } else if (content && content->is_array()) {
    for (const auto& p : content->get_array()) {
      const auto* o = p.if_object();
      if (!o) continue;
      const auto type = string_or_empty(*o, "type");
      if (type == "text") blocks.push_back(json::object{{"type", "text"}, {"text", string_or_empty(*o, "text")}});
      else if (type == "image_url") blocks.push_back(image_block(*o));
    }
  }
  if (const auto* calls = m.if_contains("tool_calls"); calls && calls->is_array()) {
    for (const auto& c : calls->get_array()) {
      const auto* call = c.if_object();
      const auto* fn = call ? call->if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) continue;
      boost::system::error_code ec;
      auto input = parse_json(string_or_empty(fn->get_object(), "arguments"), ec);
      if (ec || !input.is_object()) input = json::object();
      blocks.push_back(json::object{{"type", "tool_use"},
                                    {"id", string_or_empty(*call, "id")},
                                    {"name", string_or_empty(fn->get_object(), "name")},
                                    {"input", std::move(input)}});
    }
  }
  return blocks;
}

// Messages alternate user / assistant: a turn of the same role as the last one joins it.
void append_turn(json::array& messages, std::string_view role, json::array blocks) {
  if (blocks.empty()) return;
  if (!messages.empty()) {
    auto& last = messages.back().as_object();
    if (last.at("role").as_string() == role) {
      auto& content = last.at("content").as_array();
      for (auto& b : blocks) content.push_back(std::move(b));
      return;
    }
  }
  messages.push_back(json::object{{"role", role}, {"content", std::move(blocks)}});
}

std::string finish_reason_of(std::string_view stop_reason) {
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  return "stop";  // end_turn, stop_sequence, pause_turn, refusal
}

json::object chat_usage(std::int64_t input, std::int64_t cache_read, std::int64_t cache_write, std::int64_t output) {
  const auto prompt = input + cache_read + cache_write;
  return {{"prompt_tokens", prompt},
          {"completion_tokens", output},
          {"total_tokens", prompt + output},
          {"prompt_cache_hit_tokens", cache_read},
          {"prompt_cache_miss_tokens", input + cache_write}};
}

}  // namespace

Result<std::string> chat_to_messages_request(std::string_view chat_body, std::int64_t default_max_tokens) {
  boost::system::error_code ec;
  auto parsed = parse_json(chat_body, ec);
  if (ec || !parsed.is_object()) return make_error(Errc::internal, "the upstream body is not a JSON object");
  const auto& chat = parsed.get_object();
  json::object out;
  out["model"] = string_or_empty(chat, "model");
  std::int64_t max_tokens = int_or(chat, "max_completion_tokens");
  if (!max_tokens) max_tokens = int_or(chat, "max_tokens");
  out["max_tokens"] = max_tokens > 0 ? max_tokens : default_max_tokens;
  std::string system;
  json::array messages;
  if (const auto* ms = chat.if_contains("messages"); ms && ms->is_array()) {
    for (const auto& mv : ms->get_array()) {
      const auto* m = mv.if_object();
      if (!m) continue;
      const auto role = string_or_empty(*m, "role");
      if (role == "system" || role == "developer") {
        if (!system.empty()) system += "\n\n";
        system += text_of(m->if_contains("content"));
      } else if (role == "tool") {
        append_turn(messages, "user",
                    json::array{json::object{{"type", "tool_result"},
                                             {"tool_use_id", string_or_empty(*m, "tool_call_id")},
                                             {"content", text_of(m->if_contains("content"))}}});
      } else if (role == "user" || role == "assistant") {
        append_turn(messages, role, content_blocks(*m));
      }
    }
  }
  if (!system.empty()) out["system"] = system;
  out["messages"] = std::move(messages);
  for (const char* same : {"temperature", "top_p", "stream", "thinking", "metadata"})
    if (const auto* v = chat.if_contains(same)) out[same] = *v;
  if (const auto* stop = chat.if_contains("stop")) {
    if (stop->is_string()) out["stop_sequences"] = json::array{stop->get_string()};
    else if (stop->is_array()) out["stop_sequences"] = *stop;
  }
  if (const auto* tools = chat.if_contains("tools"); tools && tools->is_array()) {
    json::array list;
    for (const auto& t : tools->get_array()) {
      const auto* fn = t.is_object() ? t.get_object().if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) continue;
      const auto& f = fn->get_object();
      json::object tool{{"name", string_or_empty(f, "name")}};
      if (f.contains("description")) tool["description"] = string_or_empty(f, "description");
      const auto* params = f.if_contains("parameters");
      tool["input_schema"] = params && params->is_object() ? *params : json::value(json::object{{"type", "object"}});
      list.push_back(std::move(tool));
    }
    if (!list.empty()) out["tools"] = std::move(list);
  }
  if (const auto* choice = chat.if_contains("tool_choice")) {
    if (choice->is_string()) {
      const auto c = choice->get_string();
      out["tool_choice"] = json::object{{"type", c == "required" ? "any" : c == "none" ? "none" : "auto"}};
    } else if (const auto* o = choice->if_object()) {
      const auto* fn = o->if_contains("function");
      if (fn && fn->is_object()) out["tool_choice"] = json::object{{"type", "tool"}, {"name", string_or_empty(fn->get_object(), "name")}};
    }
  }
  return json::serialize(out);
}

Result<json::object> message_to_chat(std::string_view message_body) {
  boost::system::error_code ec;
  auto parsed = parse_json(message_body, ec);
  if (ec || !parsed.is_object()) return make_error(Errc::upstream_bad_response, "the Messages answer is not a JSON object");
  const auto& m = parsed.get_object();
  const auto* content = m.if_contains("content");
  if (!content || !content->is_array())
    return make_error(Errc::upstream_bad_response, "the Messages answer has no content list");
  std::string text, reasoning;
  json::array tool_calls;
  for (const auto& bv : content->get_array()) {
    const auto* b = bv.if_object();
    if (!b) continue;
    const auto type = string_or_empty(*b, "type");
    if (type == "text") text += string_or_empty(*b, "text");
    else if (type == "thinking") reasoning += string_or_empty(*b, "thinking");
    else if (type == "tool_use") {
      const auto* input = b->if_contains("input");
      tool_calls.push_back(json::object{
          {"id", string_or_empty(*b, "id")},
          {"type", "function"},
          {"function", {{"name", string_or_empty(*b, "name")}, {"arguments", input ? json::serialize(*input) : "{}"}}}});
    }
  }
  json::object message{{"role", "assistant"}, {"content", text}};
  if (!reasoning.empty()) message["reasoning_content"] = reasoning;
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  json::object out{{"id", string_or_empty(m, "id")},
                   {"object", "chat.completion"},
                   {"created", 0},
                   {"model", string_or_empty(m, "model")},
                   {"choices", json::array{json::object{{"index", 0},
                                                        {"message", std::move(message)},
                                                        {"finish_reason", finish_reason_of(string_or_empty(m, "stop_reason"))}}}}};
  if (const auto* u = m.if_contains("usage"); u && u->is_object()) {
    const auto& usage = u->get_object();
    out["usage"] = chat_usage(int_or(usage, "input_tokens"), int_or(usage, "cache_read_input_tokens"),
                              int_or(usage, "cache_creation_input_tokens"), int_or(usage, "output_tokens"));
  }
  return out;
}

std::string chat_error_from_messages(std::string body) {
  boost::system::error_code ec;
  auto parsed = parse_json(body, ec);
  const auto* o = ec ? nullptr : parsed.if_object();
  const auto* e = o ? o->if_contains("error") : nullptr;
  if (!e || !e->is_object() || string_or_empty(*o, "type") != "error") return body;
  json::object error{{"message", string_or_empty(e->get_object(), "message")},
                     {"type", string_or_empty(e->get_object(), "type")},
                     {"param", nullptr},
                     {"code", nullptr}};
  return json::serialize(json::object{{"error", std::move(error)}});
}

std::string ChatChunksFromMessages::feed(std::string_view bytes) {
  std::string out;
  parser_.feed(bytes);
  SseEvent ev;
  while (parser_.next(ev)) {
    if (ev.data.empty()) continue;
    boost::system::error_code ec;
    auto v = parse_json(ev.data, ec);
    if (ec || !v.is_object()) continue;
    const auto& data = v.get_object();
    on_event(string_or_empty(data, "type"), data, out);  // every Messages event names its type in its data
  }
  return out;
}

json::object ChatChunksFromMessages::envelope(json::array choices) const {
  return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", 0}, {"model", model_}, {"choices", std::move(choices)}};
}

void ChatChunksFromMessages::chunk(json::object delta, std::string& out, std::string_view finish_reason) {
  json::object choice{{"index", 0}, {"delta", std::move(delta)}};
  choice["finish_reason"] = finish_reason.empty() ? json::value(nullptr) : json::value(finish_reason);
  out += "data: " + json::serialize(envelope(json::array{std::move(choice)})) + "\n\n";
}

void ChatChunksFromMessages::on_event(std::string_view type, const json::object& data, std::string& out) {
  if (done_) return;
  if (type == "message_start") {
    if (const auto* m = data.if_contains("message"); m && m->is_object()) {
      const auto& message = m->get_object();
      if (auto id = string_or_empty(message, "id"); !id.empty()) id_ = id;
      model_ = string_or_empty(message, "model");
      if (const auto* u = message.if_contains("usage"); u && u->is_object()) {
        input_tokens_ = int_or(u->get_object(), "input_tokens");
        cache_read_ = int_or(u->get_object(), "cache_read_input_tokens");
        cache_write_ = int_or(u->get_object(), "cache_creation_input_tokens");
        output_tokens_ = int_or(u->get_object(), "output_tokens");
      }
    }
    chunk(json::object{{"role", "assistant"}, {"content", ""}}, out);
  } else if (type == "content_block_start") {
    block_tool_ = -1;
    const auto* b = data.if_contains("content_block");
    if (b && b->is_object() && string_or_empty(b->get_object(), "type") == "tool_use") {
      block_tool_ = tool_calls_++;
      chunk(json::object{{"tool_calls", json::array{json::object{
                                            {"index", block_tool_},
                                            {"id", string_or_empty(b->get_object(), "id")},
                                            {"type", "function"},
                                            {"function", {{"name", string_or_empty(b->get_object(), "name")}, {"arguments", ""}}}}}}},
            out);
    }
  } else if (type == "content_block_delta") {
    const auto* d = data.if_contains("delta");
    if (!d || !d->is_object()) return;
    const auto& delta = d->get_object();
    const auto kind = string_or_empty(delta, "type");
    if (kind == "text_delta") chunk(json::object{{"content", string_or_empty(delta, "text")}}, out);
    else if (kind == "thinking_delta") chunk(json::object{{"reasoning_content", string_or_empty(delta, "thinking")}}, out);
    else if (kind == "input_json_delta" && block_tool_ >= 0)
      chunk(json::object{{"tool_calls", json::array{json::object{
                                            {"index", block_tool_},
                                            {"function", {{"arguments", string_or_empty(delta, "partial_json")}}}}}}},
            out);
  } else if (type == "content_block_stop") {
    block_tool_ = -1;
  } else if (type == "message_delta") {
    if (const auto* u = data.if_contains("usage"); u && u->is_object()) {
      const auto& usage = u->get_object();
      if (usage.contains("output_tokens")) output_tokens_ = int_or(usage, "output_tokens");
      if (usage.contains("input_tokens")) input_tokens_ = int_or(usage, "input_tokens");
      if (usage.contains("cache_read_input_tokens")) cache_read_ = int_or(usage, "cache_read_input_tokens");
    }
    const auto* d = data.if_contains("delta");
    const auto stop = d && d->is_object() ? string_or_empty(d->get_object(), "stop_reason") : std::string();
    if (!stop.empty()) chunk(json::object{}, out, finish_reason_of(stop));
  } else if (type == "message_stop") {
    auto usage_chunk = envelope(json::array{});
    usage_chunk["usage"] = chat_usage(input_tokens_, cache_read_, cache_write_, output_tokens_);
    out += "data: " + json::serialize(usage_chunk) + "\n\ndata: [DONE]\n\n";
    done_ = true;
  } else if (type == "error") {
    // Passed on as an OpenAI-style error event; the relay ends the stream on it.
    json::object e{{"error", data.contains("error") ? data.at("error") : json::value(data)}};
    out += "data: " + json::serialize(e) + "\n\n";
  }
}

}  // namespace fulcrum
