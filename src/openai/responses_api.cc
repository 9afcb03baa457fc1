#include "openai/responses_api.h"

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

// A content value (string, or parts) as chat content: a string when it is all
// text, else chat parts (text and image_url).
Result<json::value> chat_content(const json::value& content, const std::string& where) {
  if (content.is_string()) return json::value(content.get_string());
  if (!content.is_array()) return bad(where + " must be a string or a list of content parts", where);
  std::string text;
  json::array parts;
  bool only_text = true;
  for (std::size_t i = 0; i < content.get_array().size(); ++i) {
    const auto& p = content.get_array()[i];
    const auto here = where + "[" + std::to_string(i) + "]";
    const auto* o = p.if_object();
    const auto* type = o ? o->if_contains("type") : nullptr;
    if (!type || !type->is_string()) return bad(here + " must be an object with a type", here);
    const std::string_view t = type->get_string();
    if (t == "input_text" || t == "output_text" || t == "text") {
      const auto* x = o->if_contains("text");
      if (!x || !x->is_string()) return bad(here + ".text must be a string", here + ".text");
      text += x->get_string();
      parts.push_back(json::object{{"type", "text"}, {"text", x->get_string()}});
    } else if (t == "input_image") {
      const auto* url = o->if_contains("image_url");
      if (!url || !url->is_string()) return bad(here + ".image_url must be a URL string (file ids are not supported)", here);
      only_text = false;
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", json::object{{"url", url->get_string()}}}});
    } else {
      return bad(here + ": content type \"" + std::string(t) + "\" is not supported", here + ".type");
    }
  }
  if (only_text) return json::value(text);
  return json::value(std::move(parts));
}

std::string effort_for(std::string_view effort) {
  // DeepSeek's efforts (low, high, max) from OpenAI's.
  if (effort == "minimal" || effort == "low") return "low";
  if (effort == "max" || effort == "ultra") return "max";
  return "high";
}

}  // namespace

Result<std::string> responses_to_chat(std::string_view body) {
  json::error_code ec;
  auto parsed = parse_json(body, ec);
  if (ec) return make_error(Errc::invalid_json, "the request body is not valid JSON: " + describe_json_error(ec));
  if (!parsed.is_object()) return make_error(Errc::invalid_json, "the request body must be a JSON object");
  const auto& in = parsed.get_object();
  for (const char* stateful : {"previous_response_id", "conversation"})
    if (const auto* v = in.if_contains(stateful); v && !v->is_null())
      return bad(std::string(stateful) + " is not supported: fulcrum does not store responses; send the whole input",
                 stateful);

  json::object out;
  if (const auto* m = in.if_contains("model")) {
    if (!m->is_string()) return bad("model must be a string", "model");
    out["model"] = *m;
  }
  json::array messages;
  if (const auto* ins = in.if_contains("instructions"); ins && !ins->is_null()) {
    if (!ins->is_string()) return bad("instructions must be a string", "instructions");
    messages.push_back(json::object{{"role", "system"}, {"content", ins->get_string()}});
  }
  const auto* input = in.if_contains("input");
  if (!input) return bad("input is required", "input");
  if (input->is_string()) {
    messages.push_back(json::object{{"role", "user"}, {"content", input->get_string()}});
  } else if (input->is_array()) {
    for (std::size_t i = 0; i < input->get_array().size(); ++i) {
      const auto where = "input[" + std::to_string(i) + "]";
      const auto* item = input->get_array()[i].if_object();
      if (!item) return bad(where + " must be an object", where);
      const auto* type = item->if_contains("type");
      const std::string_view t = type && type->is_string() ? std::string_view(type->get_string()) : "message";
      if (t == "message") {
        const auto* role = item->if_contains("role");
        if (!role || !role->is_string()) return bad(where + ".role must be a string", where + ".role");
        std::string r(role->get_string());
        if (r == "developer") r = "system";
        if (r != "system" && r != "user" && r != "assistant")
          return bad(where + ".role must be user, assistant, system or developer", where + ".role");
        const auto* content = item->if_contains("content");
        if (!content) return bad(where + ".content is required", where + ".content");
        auto c = chat_content(*content, where + ".content");
        if (!c) return std::move(c).error();
        messages.push_back(json::object{{"role", r}, {"content", std::move(c.value())}});
      } else if (t == "function_call") {
        const auto* call_id = item->if_contains("call_id");
        const auto* name = item->if_contains("name");
        const auto* args = item->if_contains("arguments");
        if (!call_id || !call_id->is_string() || !name || !name->is_string() || !args || !args->is_string())
          return bad(where + ": a function_call needs call_id, name and arguments (strings)", where);
        json::object call{{"id", *call_id}, {"type", "function"},
                          {"function", json::object{{"name", *name}, {"arguments", *args}}}};
        // Consecutive calls belong to one assistant turn.
        auto* last = messages.empty() ? nullptr : messages.back().if_object();
        if (last && last->at("role") == "assistant" && last->contains("tool_calls")) {
          last->at("tool_calls").as_array().push_back(std::move(call));
        } else {
          messages.push_back(json::object{{"role", "assistant"}, {"content", nullptr},
                                          {"tool_calls", json::array{std::move(call)}}});
        }
      } else if (t == "function_call_output") {
        const auto* call_id = item->if_contains("call_id");
        const auto* output = item->if_contains("output");
        if (!call_id || !call_id->is_string() || !output || !output->is_string())
          return bad(where + ": a function_call_output needs call_id and output (strings)", where);
        messages.push_back(json::object{{"role", "tool"}, {"tool_call_id", *call_id}, {"content", *output}});
      } else if (t == "reasoning") {
        continue;  // the model's own summary of earlier reasoning: not part of a chat history
      } else {
        return bad(where + ": input item type \"" + std::string(t) + "\" is not supported", where + ".type");
      }
    }
  } else {
    return bad("input must be a string or a list of items", "input");
  }
  if (messages.empty()) return bad("input has no messages", "input");
  out["messages"] = std::move(messages);

  for (const char* same : {"temperature", "top_p", "metadata", "parallel_tool_calls", "user", "stream"})
    if (const auto* v = in.if_contains(same); v && !v->is_null()) out[same] = *v;
  // A Response carries usage: the chat stream must end with it.
  if (const auto* st = in.if_contains("stream"); st && st->is_bool() && st->get_bool())
    out["stream_options"] = json::object{{"include_usage", true}};
  if (const auto* v = in.if_contains("max_output_tokens"); v && !v->is_null()) {
    if (!v->is_int64() || v->get_int64() <= 0) return bad("max_output_tokens must be a positive integer", "max_output_tokens");
    out["max_tokens"] = *v;
  }
  if (const auto* r = in.if_contains("reasoning"); r && r->is_object())
    if (const auto* e = r->get_object().if_contains("effort"); e && e->is_string()) {
      if (e->get_string() == "none") out["thinking"] = json::object{{"type", "disabled"}};
      else out["reasoning_effort"] = effort_for(e->get_string());
    }
  if (const auto* tools = in.if_contains("tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) return bad("tools must be a list", "tools");
    json::array chat_tools;
    for (std::size_t i = 0; i < tools->get_array().size(); ++i) {
      const auto where = "tools[" + std::to_string(i) + "]";
      const auto* tool = tools->get_array()[i].if_object();
      const auto* type = tool ? tool->if_contains("type") : nullptr;
      if (!type || *type != "function")
        return bad(where + ": only function tools are supported", where + ".type");
      json::object fn;
      for (const char* k : {"name", "description", "parameters", "strict"})
        if (const auto* v = tool->if_contains(k); v && !v->is_null()) fn[k] = *v;
      if (!fn.contains("name")) return bad(where + ".name is required", where + ".name");
      chat_tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    out["tools"] = std::move(chat_tools);
  }
  if (const auto* choice = in.if_contains("tool_choice"); choice && !choice->is_null()) {
    if (choice->is_string()) {
      out["tool_choice"] = *choice;
    } else if (const auto* o = choice->if_object(); o && o->contains("name")) {
      out["tool_choice"] = json::object{{"type", "function"}, {"function", json::object{{"name", o->at("name")}}}};
    } else {
      return bad("tool_choice must be auto, none, required or {type: function, name}", "tool_choice");
    }
  }
  if (const auto* text = in.if_contains("text"); text && text->is_object())
    if (const auto* format = text->get_object().if_contains("format"); format && format->is_object()) {
      const auto& f = format->get_object();
      const auto* type = f.if_contains("type");
      if (type && *type == "json_schema") {
        json::object schema;
        for (const char* k : {"name", "schema", "strict", "description"})
          if (const auto* v = f.if_contains(k)) schema[k] = *v;
        out["response_format"] = json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
      } else if (type && *type == "json_object") {
        out["response_format"] = json::object{{"type", "json_object"}};
      }
    }
  copy_other_fields(in, out, {"input", "instructions", "max_output_tokens", "reasoning", "text", "tools",
                              "tool_choice", "store", "include", "truncation", "background", "prompt", "max_tool_calls",
                              "top_logprobs", "safety_identifier", "prompt_cache_key", "previous_response_id",
                              "conversation", "service_tier", "stream_options"});
  return json::serialize(out);
}

namespace {

json::object usage_of(const json::object* chat_usage) {
  const auto u = chat_usage ? parse_usage(*chat_usage) : Usage{};
  return json::object{{"input_tokens", u.prompt_tokens},
                      {"output_tokens", u.completion_tokens},
                      {"total_tokens", u.prompt_tokens + u.completion_tokens},
                      {"input_tokens_details", json::object{{"cached_tokens", u.cache_hit_tokens}}},
                      {"output_tokens_details", json::object{{"reasoning_tokens", u.reasoning_tokens}}}};
}

json::object response_shell(std::string_view id, std::int64_t created_at, std::string_view model,
                            std::string_view status) {
  return json::object{{"id", id},       {"object", "response"}, {"created_at", created_at},
                      {"status", status}, {"model", model},       {"error", nullptr},
                      {"incomplete_details", nullptr}, {"output", json::array{}}};
}

}  // namespace

json::object chat_to_response(const json::object& chat, std::string_view id) {
  const auto* created = chat.if_contains("created");
  const auto* model = chat.if_contains("model");
  auto r = response_shell(id, created && created->is_int64() ? created->get_int64() : 0,
                          model && model->is_string() ? std::string_view(model->get_string()) : "", "completed");
  json::array output;
  const json::object* message = nullptr;
  std::string_view finish;
  if (const auto* choices = chat.if_contains("choices"); choices && choices->is_array() && !choices->get_array().empty())
    if (const auto* c = choices->get_array()[0].if_object()) {
      if (const auto* m = c->if_contains("message")) message = m->if_object();
      if (const auto* f = c->if_contains("finish_reason"); f && f->is_string()) finish = f->get_string();
    }
  if (message) {
    if (const auto* content = message->if_contains("content"); content && content->is_string() &&
                                                               !content->get_string().empty()) {
      output.push_back(json::object{
          {"type", "message"}, {"id", "msg_" + std::string(id)}, {"status", "completed"}, {"role", "assistant"},
          {"content", json::array{json::object{{"type", "output_text"}, {"text", content->get_string()},
                                               {"annotations", json::array{}}}}}});
    }
    if (const auto* calls = message->if_contains("tool_calls"); calls && calls->is_array())
      for (const auto& call : calls->get_array()) {
        const auto* c = call.if_object();
        const auto* fn = c ? c->if_contains("function") : nullptr;
        if (!fn || !fn->is_object()) continue;
        const auto& f = fn->get_object();
        const auto* id_v = c->if_contains("id");
        const std::string call_id = id_v && id_v->is_string() ? std::string(id_v->get_string()) : std::string();
        output.push_back(json::object{{"type", "function_call"}, {"id", "fc_" + call_id}, {"call_id", call_id},
                                      {"name", f.if_contains("name") ? f.at("name") : json::value("")},
                                      {"arguments", f.if_contains("arguments") ? f.at("arguments") : json::value("")},
                                      {"status", "completed"}});
      }
  }
  r["output"] = std::move(output);
  if (finish == "length") {
    r["status"] = "incomplete";
    r["incomplete_details"] = json::object{{"reason", "max_output_tokens"}};
  }
  const auto* usage = chat.if_contains("usage");
  r["usage"] = usage_of(usage && usage->is_object() ? &usage->get_object() : nullptr);
  return r;
}

void ResponsesStream::event(std::string_view type, json::object data, std::string& out) {
  data["type"] = type;
  data["sequence_number"] = sequence_++;
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
}

json::object ResponsesStream::response(std::string_view status) const {
  return response_shell(id_, created_at_, model_, status);
}

json::object ResponsesStream::message_item(std::string_view status) const {
  json::array content;
  if (status == "completed")
    content.push_back(json::object{{"type", "output_text"}, {"text", text_}, {"annotations", json::array{}}});
  return json::object{{"type", "message"}, {"id", "msg_" + id_}, {"status", status}, {"role", "assistant"},
                      {"content", std::move(content)}};
}

void ResponsesStream::start(std::string& out) {
  if (started_) return;
  started_ = true;
  event("response.created", json::object{{"response", response("in_progress")}}, out);
  event("response.in_progress", json::object{{"response", response("in_progress")}}, out);
}

void ResponsesStream::on_chunk(const json::object& chunk, std::string& out) {
  if (const auto* m = chunk.if_contains("model"); m && m->is_string() && model_.empty()) model_ = m->get_string();
  start(out);
  if (const auto* u = chunk.if_contains("usage"); u && u->is_object()) usage_ = u->get_object();
  const auto* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return;
  const auto* choice = choices->get_array()[0].if_object();
  if (!choice) return;
  if (const auto* f = choice->if_contains("finish_reason"); f && f->is_string()) finish_reason_ = f->get_string();
  const auto* delta_v = choice->if_contains("delta");
  const auto* delta = delta_v ? delta_v->if_object() : nullptr;
  if (!delta) return;
  if (const auto* c = delta->if_contains("content"); c && c->is_string() && !c->get_string().empty()) {
    if (!text_open_) {
      text_open_ = true;
      text_output_index_ = next_output_index_++;
      event("response.output_item.added",
            json::object{{"output_index", text_output_index_}, {"item", message_item("in_progress")}}, out);
      event("response.content_part.added",
            json::object{{"item_id", "msg_" + id_}, {"output_index", text_output_index_}, {"content_index", 0},
                         {"part", json::object{{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}}}},
            out);
    }
    text_ += c->get_string();
    event("response.output_text.delta",
          json::object{{"item_id", "msg_" + id_}, {"output_index", text_output_index_}, {"content_index", 0},
                       {"delta", c->get_string()}},
          out);
  }
  if (const auto* tcs = delta->if_contains("tool_calls"); tcs && tcs->is_array())
    for (const auto& tc : tcs->get_array()) {
      const auto* t = tc.if_object();
      if (!t) continue;
      const auto* idx = t->if_contains("index");
      const auto index = idx && idx->is_int64() ? static_cast<std::size_t>(idx->get_int64()) : calls_.size();
      if (index > 1024) continue;
      const auto* fn_v = t->if_contains("function");
      const auto* fn = fn_v ? fn_v->if_object() : nullptr;
      if (index >= calls_.size()) {
        calls_.resize(index + 1);
        auto& call = calls_[index];
        if (const auto* id = t->if_contains("id"); id && id->is_string()) call.call_id = id->get_string();
        if (fn)
          if (const auto* n = fn->if_contains("name"); n && n->is_string()) call.name = n->get_string();
        call.output_index = next_output_index_++;
        event("response.output_item.added",
              json::object{{"output_index", call.output_index},
                           {"item", json::object{{"type", "function_call"}, {"id", "fc_" + call.call_id},
                                                 {"call_id", call.call_id}, {"name", call.name}, {"arguments", ""},
                                                 {"status", "in_progress"}}}},
              out);
      }
      auto& call = calls_[index];
      if (fn)
        if (const auto* a = fn->if_contains("arguments"); a && a->is_string() && !a->get_string().empty()) {
          call.arguments += a->get_string();
          event("response.function_call_arguments.delta",
                json::object{{"item_id", "fc_" + call.call_id}, {"output_index", call.output_index},
                             {"delta", a->get_string()}},
                out);
        }
    }
}

void ResponsesStream::close(std::string& out) {
  if (closed_) return;
  closed_ = true;
  start(out);
  json::array output;
  if (text_open_) {
    event("response.output_text.done",
          json::object{{"item_id", "msg_" + id_}, {"output_index", text_output_index_}, {"content_index", 0},
                       {"text", text_}},
          out);
    event("response.content_part.done",
          json::object{{"item_id", "msg_" + id_}, {"output_index", text_output_index_}, {"content_index", 0},
                       {"part", json::object{{"type", "output_text"}, {"text", text_}, {"annotations", json::array{}}}}},
          out);
    event("response.output_item.done",
          json::object{{"output_index", text_output_index_}, {"item", message_item("completed")}}, out);
    output.push_back(message_item("completed"));
  }
  for (const auto& call : calls_) {
    json::object item{{"type", "function_call"}, {"id", "fc_" + call.call_id}, {"call_id", call.call_id},
                      {"name", call.name}, {"arguments", call.arguments}, {"status", "completed"}};
    event("response.function_call_arguments.done",
          json::object{{"item_id", "fc_" + call.call_id}, {"output_index", call.output_index},
                       {"arguments", call.arguments}},
          out);
    event("response.output_item.done", json::object{{"output_index", call.output_index}, {"item", item}}, out);
    output.push_back(std::move(item));
  }
  auto done = response(finish_reason_ == "length" ? "incomplete" : "completed");
  if (finish_reason_ == "length") done["incomplete_details"] = json::object{{"reason", "max_output_tokens"}};
  done["output"] = std::move(output);
  done["usage"] = usage_of(usage_.empty() ? nullptr : &usage_);
  event(finish_reason_ == "length" ? "response.incomplete" : "response.completed",
        json::object{{"response", std::move(done)}}, out);
}

std::string ResponsesStream::feed(std::string_view bytes) {
  std::string out;
  read_chat_stream(parser_, bytes, out, [&](const json::object& chunk) { on_chunk(chunk, out); }, [&] { close(out); });
  return out;
}

std::string ResponsesStream::finish() {
  std::string out;
  close(out);
  return out;
}

}  // namespace fulcrum
