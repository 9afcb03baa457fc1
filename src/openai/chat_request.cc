#include "openai/chat_request.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <boost/json.hpp>

#include "core/json_parse.h"
#include "core/money.h"

namespace fulcrum {

namespace {

// Calls f(content) for each message's content.
template <class F>
void for_each_message_content(const boost::json::object& body, F&& f) {
  auto it = body.find("messages");
  if (it == body.end() || !it->value().is_array()) return;
  for (const auto& m : it->value().get_array())
    if (auto mo = m.if_object())
      if (auto c = mo->find("content"); c != mo->end()) f(c->value());
}

}  // namespace

void append_message_text(const boost::json::value& content, std::string& out) {
  for_each_text(content, [&](std::string_view t) {
    out.append(t);
    out.push_back('\n');
  });
}

std::int64_t requested_max_tokens(const ChatRequest& request) {
  // Clamped like any token count (core/money.h): a budget's worst case is
  // max_tokens x price, which a client's 2^63 - 1 would overflow.
  for (const char* name : {"max_completion_tokens", "max_tokens"})
    if (auto it = request.body.find(name); it != request.body.end() && it->value().is_int64() &&
                                           it->value().get_int64() > 0)
      return std::min(it->value().get_int64(), kMaxTokenCount);
  return 0;
}

std::string ChatRequest::prompt_text() const {
  std::string out;
  for_each_message_content(body, [&](const boost::json::value& c) { append_message_text(c, out); });
  return out;
}

std::int64_t ChatRequest::prompt_size() const {
  std::int64_t n = 0;
  for_each_message_content(body, [&](const boost::json::value& c) {
    for_each_text(c, [&](std::string_view t) { n += static_cast<std::int64_t>(t.size()) + 1; });
  });
  return n;
}

Result<ChatRequest> parse_chat_request(std::string_view text) {
  boost::system::error_code ec;
  // One arena for the whole document: parsing and freeing cost a few large
  // allocations instead of one per string, array and object.
  boost::json::value v = parse_json(text, ec, boost::json::make_shared_resource<boost::json::monotonic_resource>());
  if (ec) return make_error(Errc::invalid_json, "the request body is not valid JSON: " + describe_json_error(ec));
  auto* obj = v.if_object();
  if (!obj) return make_error(Errc::invalid_request, "the request body must be a JSON object");

  ChatRequest req;
  auto messages = obj->find("messages");
  if (messages == obj->end() || messages->value().is_null())
    return make_error(Errc::invalid_request, "'messages' is a required property", "messages");
  auto* arr = messages->value().if_array();
  if (!arr) return make_error(Errc::invalid_request, "'messages' must be an array", "messages");
  if (arr->empty()) return make_error(Errc::invalid_request, "'messages' must not be empty", "messages");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto param = "messages[" + std::to_string(i) + "]";
    auto* m = (*arr)[i].if_object();
    if (!m) return make_error(Errc::invalid_request, param + " must be an object", param);
    auto role = m->find("role");
    if (role == m->end() || !role->value().is_string())
      return make_error(Errc::invalid_request, param + ".role must be a string", param + ".role");
  }
  if (auto model = obj->find("model"); model != obj->end() && !model->value().is_null()) {
    auto* s = model->value().if_string();
    if (!s) return make_error(Errc::invalid_request, "'model' must be a string", "model");
    req.model = std::string(*s);
  }
  if (auto stream = obj->find("stream"); stream != obj->end() && !stream->value().is_null()) {
    auto* b = stream->value().if_bool();
    if (!b) return make_error(Errc::invalid_request, "'stream' must be a boolean", "stream");
    req.stream = *b;
  }
  if (auto so = obj->find("stream_options"); so != obj->end()) {
    if (auto* o = so->value().if_object())
      if (auto iu = o->find("include_usage"); iu != o->end())
        req.client_wants_usage = iu->value().is_bool() && iu->value().get_bool();
  }
  return ChatRequest{std::move(*obj), std::move(req.model), req.stream, req.client_wants_usage};
}

void merge_json(boost::json::object& into, const boost::json::object& over) {
  for (const auto& kv : over) {
    auto* dst_obj = into.contains(kv.key()) ? into.at(kv.key()).if_object() : nullptr;
    auto* src_obj = kv.value().if_object();
    if (dst_obj && src_obj) merge_json(*dst_obj, *src_obj);
    else into[kv.key()] = kv.value();
  }
}

namespace {

// The assistant turns with tool calls whose reasoning_content is missing or
// not a string. `Object` is boost::json::object, const or not.
template <class Object, class F>
void for_each_tool_call_turn_without_reasoning(Object& body, F&& f) {
  auto m = body.find("messages");
  if (m == body.end() || !m->value().is_array()) return;
  for (auto& msg : m->value().get_array()) {
    auto* o = msg.if_object();
    if (!o) continue;
    auto role = o->find("role");
    auto calls = o->find("tool_calls");
    if (role == o->end() || !role->value().is_string() || role->value().get_string() != "assistant") continue;
    if (calls == o->end() || !calls->value().is_array() || calls->value().get_array().empty()) continue;
    auto rc = o->find("reasoning_content");
    if (rc == o->end() || !rc->value().is_string()) f(*o);
  }
}

}  // namespace

std::size_t tool_call_turns_without_reasoning(const ChatRequest& req) {
  std::size_t n = 0;
  for_each_tool_call_turn_without_reasoning(req.body, [&](const boost::json::object&) { ++n; });
  return n;
}

std::string build_upstream_body(ChatRequest& req, const Tier& tier, bool force_logprobs, std::size_t* history_fixes) {
  // Save the top-level members the edits touch, edit, serialize, restore.
  auto& body = req.body;
  std::vector<std::pair<std::string_view, std::optional<boost::json::value>>> saved;
  auto save = [&](std::string_view key) {
    for (const auto& s : saved)
      if (s.first == key) return;
    auto it = body.find(key);
    saved.emplace_back(key, it == body.end() ? std::nullopt : std::optional<boost::json::value>(it->value()));
  };
  save("model");
  if (req.stream) save("stream_options");
  if (tier.strip_fulcrum_metadata) save("metadata");
  if (force_logprobs) save("logprobs");
  for (const auto& kv : tier.params) save(kv.key());

  body["model"] = tier.model;
  merge_json(body, tier.params);
  if (tier.strip_fulcrum_metadata)
    if (auto it = body.find("metadata"); it != body.end())
      if (auto* md = it->value().if_object()) {
        // Routing hints are fulcrum's; an upstream that validates metadata would reject them.
        for (auto k = md->begin(); k != md->end();) {
          if (k->key().starts_with("x-fulcrum-")) k = md->erase(k);
          else ++k;
        }
        if (md->empty()) body.erase("metadata");
      }
  if (force_logprobs) body["logprobs"] = true;
  if (req.stream) {
    auto& so = body["stream_options"];
    if (!so.is_object()) so = boost::json::object();
    so.as_object()["include_usage"] = true;
  }
  // Turns given an empty reasoning_content, with what they had (absent, or a non-string), to put back.
  std::vector<std::pair<boost::json::object*, std::optional<boost::json::value>>> fixed;
  if (tier.tool_calls_need_reasoning_content)
    for_each_tool_call_turn_without_reasoning(body, [&](boost::json::object& turn) {
      auto it = turn.find("reasoning_content");
      fixed.emplace_back(&turn, it == turn.end() ? std::nullopt : std::optional<boost::json::value>(it->value()));
      turn["reasoning_content"] = "";
    });
  if (history_fixes) *history_fixes = fixed.size();
  std::string out = boost::json::serialize(body);

  for (auto& [turn, value] : fixed) {
    if (value) (*turn)["reasoning_content"] = std::move(*value);
    else turn->erase("reasoning_content");
  }
  for (auto& [key, value] : saved) {
    if (value) body[key] = std::move(*value);
    else body.erase(key);
  }
  return out;
}

}  // namespace fulcrum
