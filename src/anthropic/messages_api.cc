#include "anthropic/messages_api.h"

#include <boost/json.hpp>

#include "core/json_parse.h"
#include "openai/client_api.h"
#include "openai/usage.h"

namespace fulcrum {
namespace json = boost::json;

namespace {

Error bad(std::string message, std::string param) {
  return make_error(Errc::invalid_request, std::move(message), std::move(param));
}

const json::value* field(const json::object& o, std::string_view name) { return o.if_contains(name); }


// A tool_result's content: a string, or text blocks joined.
std::string tool_result_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (const auto* a = content.if_array())
    for (const auto& b : *a)
      if (const auto* o = b.if_object(); o && string_or_empty(*o, "type") == "text") out += string_or_empty(*o, "text");
  return out;
}

// One Anthropic message as chat messages (a user turn's tool results become
// tool messages ahead of its text).
Status append_message(const json::object& m, const std::string& where, json::array& out) {
  const auto role = string_or_empty(m, "role");
  if (role != "user" && role != "assistant") return bad(where + ".role must be user or assistant", where + ".role");
  const auto* content = field(m, "content");
  if (!content) return bad(where + ".content is required", where + ".content");
  if (content->is_string()) {
    out.push_back(json::object{{"role", role}, {"content", content->get_string()}});
    return Ok{};
  }
  if (!content->is_array()) return bad(where + ".content must be a string or a list of blocks", where + ".content");
  json::array parts, tool_calls;
  std::string text, reasoning;
  bool only_text = true;
  for (std::size_t i = 0; i < content->get_array().size(); ++i) {
    const auto here = where + ".content[" + std::to_string(i) + "]";
    const auto* b = content->get_array()[i].if_object();
    if (!b) return bad(here + " must be an object", here);
    const auto type = string_or_empty(*b, "type");
    if (type == "text") {
      text += string_or_empty(*b, "text");
      parts.push_back(json::object{{"type", "text"}, {"text", string_or_empty(*b, "text")}});
    } else if (type == "image" && role == "user") {
      const auto* src = field(*b, "source");
      const auto* s = src ? src->if_object() : nullptr;
      if (!s) return bad(here + ".source is required", here + ".source");
      std::string url;
      if (string_or_empty(*s, "type") == "base64") url = "data:" + string_or_empty(*s, "media_type") + ";base64," + string_or_empty(*s, "data");
      else if (string_or_empty(*s, "type") == "url") url = string_or_empty(*s, "url");
      else return bad(here + ".source.type must be base64 or url", here + ".source.type");
      only_text = false;
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", json::object{{"url", url}}}});
    } else if (type == "tool_use" && role == "assistant") {
      const auto* input = field(*b, "input");
      tool_calls.push_back(json::object{
          {"id", string_or_empty(*b, "id")}, {"type", "function"},
          {"function", json::object{{"name", string_or_empty(*b, "name")},
                                    {"arguments", input ? json::serialize(*input) : std::string("{}")}}}});
    } else if (type == "tool_result" && role == "user") {
      const auto* c = field(*b, "content");
      out.push_back(json::object{{"role", "tool"}, {"tool_call_id", string_or_empty(*b, "tool_use_id")},
                                 {"content", c ? tool_result_text(*c) : std::string()}});
    } else if (type == "thinking" && role == "assistant") {
      reasoning += string_or_empty(*b, "thinking");  // DeepSeek wants it back on tool-call turns
    } else if (type == "redacted_thinking" && role == "assistant") {
      continue;
    } else {
      return bad(here + ": block type \"" + type + "\" is not supported in a " + role + " message", here + ".type");
    }
  }
  if (role == "assistant") {
    json::object msg{{"role", "assistant"}};
    msg["content"] = text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text);
    if (!tool_calls.empty()) msg["tool_calls"] = std::move(tool_calls);
    if (!reasoning.empty()) msg["reasoning_content"] = reasoning;
    out.push_back(std::move(msg));
  } else if (!parts.empty()) {
    if (only_text) out.push_back(json::object{{"role", "user"}, {"content", text}});
    else out.push_back(json::object{{"role", "user"}, {"content", std::move(parts)}});
  }
  return Ok{};
}

}  // namespace

Result<std::string> messages_to_chat(std::string_view body) {
  json::error_code ec;
  auto parsed = parse_json(body, ec);
  if (ec) return make_error(Errc::invalid_json, "the request body is not valid JSON: " + describe_json_error(ec));
  if (!parsed.is_object()) return make_error(Errc::invalid_json, "the request body must be a JSON object");
  const auto& in = parsed.get_object();
  json::object out;
  if (const auto* m = field(in, "model")) {
    if (!m->is_string()) return bad("model must be a string", "model");
    out["model"] = *m;
  }
  const auto* max_tokens = field(in, "max_tokens");
  if (!max_tokens || !max_tokens->is_int64() || max_tokens->get_int64() <= 0)
    return bad("max_tokens is required and must be a positive integer", "max_tokens");
  out["max_tokens"] = *max_tokens;
  json::array messages;
  if (const auto* system = field(in, "system"); system && !system->is_null()) {
    if (system->is_string()) messages.push_back(json::object{{"role", "system"}, {"content", system->get_string()}});
    else if (system->is_array()) messages.push_back(json::object{{"role", "system"}, {"content", tool_result_text(*system)}});
    else return bad("system must be a string or a list of text blocks", "system");
  }
  const auto* in_messages = field(in, "messages");
  if (!in_messages || !in_messages->is_array() || in_messages->get_array().empty())
    return bad("messages must be a non-empty list", "messages");
  for (std::size_t i = 0; i < in_messages->get_array().size(); ++i) {
    const auto where = "messages[" + std::to_string(i) + "]";
    const auto* m = in_messages->get_array()[i].if_object();
    if (!m) return bad(where + " must be an object", where);
    if (auto st = append_message(*m, where, messages); !st) return std::move(st).error();
  }
  out["messages"] = std::move(messages);
  for (const char* same : {"temperature", "top_p", "stream"})
    if (const auto* v = field(in, same); v && !v->is_null()) out[same] = *v;
  if (const auto* st = field(in, "stream"); st && st->is_bool() && st->get_bool())
    out["stream_options"] = json::object{{"include_usage", true}};  // the closing message_delta reports usage
  if (const auto* stop = field(in, "stop_sequences"); stop && stop->is_array()) out["stop"] = *stop;
  if (const auto* thinking = field(in, "thinking"); thinking && thinking->is_object()) {
    const auto type = string_or_empty(thinking->get_object(), "type");
    out["thinking"] = json::object{{"type", type == "enabled" ? "enabled" : "disabled"}};
  }
  if (const auto* md = field(in, "metadata"); md && md->is_object()) out["metadata"] = *md;
  if (const auto* tools = field(in, "tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) return bad("tools must be a list", "tools");
    json::array chat_tools;
    for (std::size_t i = 0; i < tools->get_array().size(); ++i) {
      const auto where = "tools[" + std::to_string(i) + "]";
      const auto* t = tools->get_array()[i].if_object();
      if (!t || string_or_empty(*t, "name").empty()) return bad(where + ".name is required", where + ".name");
      if (const auto type = string_or_empty(*t, "type"); !type.empty() && type != "custom")
        return bad(where + ": server tool \"" + type + "\" is not supported", where + ".type");
      json::object fn{{"name", string_or_empty(*t, "name")}};
      if (const auto* d = field(*t, "description"); d && d->is_string()) fn["description"] = *d;
      if (const auto* s = field(*t, "input_schema")) fn["parameters"] = *s;
      chat_tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    out["tools"] = std::move(chat_tools);
  }
  if (const auto* choice = field(in, "tool_choice"); choice && choice->is_object()) {
    const auto type = string_or_empty(choice->get_object(), "type");
    if (type == "auto") out["tool_choice"] = "auto";
    else if (type == "any") out["tool_choice"] = "required";
    else if (type == "none") out["tool_choice"] = "none";
    else if (type == "tool")
      out["tool_choice"] = json::object{{"type", "function"},
                                        {"function", json::object{{"name", string_or_empty(choice->get_object(), "name")}}}};
    else return bad("tool_choice.type must be auto, any, tool or none", "tool_choice.type");
  }
  copy_other_fields(in, out, {"system", "stop_sequences", "tools", "tool_choice", "thinking", "top_k", "container",
                              "mcp_servers", "service_tier"});
  return json::serialize(out);
}

namespace {

std::string stop_reason(std::string_view finish) {
  if (finish == "length") return "max_tokens";
  if (finish == "tool_calls") return "tool_use";
  return "end_turn";
}

std::int64_t num(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->get_int64() : 0;
}

// A tool call's arguments as the input object Anthropic clients expect.
json::value input_of(std::string_view arguments) {
  json::error_code ec;
  auto v = parse_json(arguments, ec);
  return !ec && v.is_object() ? v : json::value(json::object{});
}

}  // namespace

json::object chat_to_message(const json::object& chat, std::string_view id) {
  json::array content;
  std::string finish;
  if (const auto* choices = chat.if_contains("choices"); choices && choices->is_array() && !choices->get_array().empty())
    if (const auto* c = choices->get_array()[0].if_object()) {
      finish = string_or_empty(*c, "finish_reason");
      if (const auto* m = c->if_contains("message"); m && m->is_object()) {
        const auto& msg = m->get_object();
        if (auto r = string_or_empty(msg, "reasoning_content"); !r.empty())
          content.push_back(json::object{{"type", "thinking"}, {"thinking", r}, {"signature", ""}});
        if (auto t = string_or_empty(msg, "content"); !t.empty()) content.push_back(json::object{{"type", "text"}, {"text", t}});
        if (const auto* calls = msg.if_contains("tool_calls"); calls && calls->is_array())
          for (const auto& call : calls->get_array()) {
            const auto* co = call.if_object();
            const auto* fn = co ? co->if_contains("function") : nullptr;
            if (!fn || !fn->is_object()) continue;
            content.push_back(json::object{{"type", "tool_use"}, {"id", string_or_empty(*co, "id")},
                                           {"name", string_or_empty(fn->get_object(), "name")},
                                           {"input", input_of(string_or_empty(fn->get_object(), "arguments"))}});
          }
      }
    }
  json::object usage{{"input_tokens", 0}, {"output_tokens", 0}, {"cache_read_input_tokens", 0},
                     {"cache_creation_input_tokens", 0}};
  if (const auto* u = chat.if_contains("usage"); u && u->is_object()) {
    const auto parsed = parse_usage(u->get_object());
    usage["input_tokens"] = parsed.cache_miss_tokens;
    usage["cache_read_input_tokens"] = parsed.cache_hit_tokens;
    usage["output_tokens"] = parsed.completion_tokens;
  }
  return json::object{{"id", id},
                      {"type", "message"},
                      {"role", "assistant"},
                      {"model", string_or_empty(chat, "model")},
                      {"content", std::move(content)},
                      {"stop_reason", stop_reason(finish)},
                      {"stop_sequence", nullptr},
                      {"usage", std::move(usage)}};
}

std::string anthropic_error(int status, std::string_view openai_error_body) {
  std::string type = status == 401 ? "authentication_error" : status == 403 ? "permission_error"
                   : status == 404 ? "not_found_error" : status == 413 ? "request_too_large"
                   : status == 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error";
  std::string message(openai_error_body);
  json::error_code ec;
  auto v = parse_json(openai_error_body, ec);
  if (!ec && v.is_object())
    if (const auto* e = v.get_object().if_contains("error"); e && e->is_object())
      message = string_or_empty(e->get_object(), "message");
  return json::serialize(json::object{{"type", "error"}, {"error", json::object{{"type", type}, {"message", message}}}});
}

void MessagesStream::event(std::string_view type, json::object data, std::string& out) {
  data["type"] = type;
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
}

void MessagesStream::start(std::string& out) {
  if (started_) return;
  started_ = true;
  event("message_start",
        json::object{{"message", json::object{{"id", id_}, {"type", "message"}, {"role", "assistant"}, {"model", model_},
                                              {"content", json::array{}}, {"stop_reason", nullptr},
                                              {"stop_sequence", nullptr},
                                              {"usage", json::object{{"input_tokens", 0}, {"output_tokens", 0}}}}}},
        out);
}

void MessagesStream::close_block(std::string& out) {
  if (block_ < 0 || block_kind_.empty()) return;
  event("content_block_stop", json::object{{"index", block_}}, out);
  block_kind_.clear();
}

void MessagesStream::open_block(std::string_view kind, json::object block, std::string& out) {
  close_block(out);
  ++block_;
  block_kind_ = kind;
  event("content_block_start", json::object{{"index", block_}, {"content_block", std::move(block)}}, out);
}

void MessagesStream::on_chunk(const json::object& chunk, std::string& out) {
  if (model_.empty()) model_ = string_or_empty(chunk, "model");
  start(out);
  if (const auto* u = chunk.if_contains("usage"); u && u->is_object()) {
    const auto parsed = parse_usage(u->get_object());
    cache_read_ = parsed.cache_hit_tokens;
    input_tokens_ = parsed.cache_miss_tokens;
    output_tokens_ = parsed.completion_tokens;
  }
  const auto* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return;
  const auto* choice = choices->get_array()[0].if_object();
  if (!choice) return;
  if (auto f = string_or_empty(*choice, "finish_reason"); !f.empty()) finish_reason_ = f;
  const auto* d = choice->if_contains("delta");
  const auto* delta = d ? d->if_object() : nullptr;
  if (!delta) return;
  if (auto r = string_or_empty(*delta, "reasoning_content"); !r.empty()) {
    if (block_kind_ != "thinking") open_block("thinking", json::object{{"type", "thinking"}, {"thinking", ""}}, out);
    event("content_block_delta",
          json::object{{"index", block_}, {"delta", json::object{{"type", "thinking_delta"}, {"thinking", r}}}}, out);
  }
  if (auto t = string_or_empty(*delta, "content"); !t.empty()) {
    if (block_kind_ != "text") open_block("text", json::object{{"type", "text"}, {"text", ""}}, out);
    event("content_block_delta", json::object{{"index", block_}, {"delta", json::object{{"type", "text_delta"}, {"text", t}}}},
          out);
  }
  if (const auto* tcs = delta->if_contains("tool_calls"); tcs && tcs->is_array())
    for (const auto& tc : tcs->get_array()) {
      const auto* t = tc.if_object();
      if (!t) continue;
      const auto index = num(*t, "index");
      const auto* fn_v = t->if_contains("function");
      const auto* fn = fn_v ? fn_v->if_object() : nullptr;
      if (block_kind_ != "tool_use" || index != tool_index_) {
        tool_index_ = index;
        open_block("tool_use", json::object{{"type", "tool_use"}, {"id", string_or_empty(*t, "id")},
                                            {"name", fn ? string_or_empty(*fn, "name") : std::string()},
                                            {"input", json::object{}}},
                   out);
      }
      if (fn)
        if (auto a = string_or_empty(*fn, "arguments"); !a.empty())
          event("content_block_delta",
                json::object{{"index", block_}, {"delta", json::object{{"type", "input_json_delta"}, {"partial_json", a}}}},
                out);
    }
}

void MessagesStream::close(std::string& out) {
  if (closed_) return;
  closed_ = true;
  start(out);
  close_block(out);
  event("message_delta",
        json::object{{"delta", json::object{{"stop_reason", stop_reason(finish_reason_)}, {"stop_sequence", nullptr}}},
                     {"usage", json::object{{"input_tokens", input_tokens_}, {"output_tokens", output_tokens_},
                                            {"cache_read_input_tokens", cache_read_}}}},
        out);
  event("message_stop", json::object{}, out);
}

std::string MessagesStream::feed(std::string_view bytes) {
  std::string out;
  read_chat_stream(parser_, bytes, out, [&](const json::object& chunk) { on_chunk(chunk, out); }, [&] { close(out); });
  return out;
}

std::string MessagesStream::finish() {
  std::string out;
  close(out);
  return out;
}

}  // namespace fulcrum
