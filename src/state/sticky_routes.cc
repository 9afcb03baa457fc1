#include "state/sticky_routes.h"

#include <cstdio>

#include <boost/json.hpp>

#include "core/stable_hash.h"

namespace fulcrum {
namespace {

const boost::json::array* messages_of(const ChatRequest& r) {
  auto m = r.body.find("messages");
  return m != r.body.end() && m->value().is_array() ? &m->value().get_array() : nullptr;
}

std::string_view role_of(const boost::json::value& message) {
  if (!message.is_object()) return {};
  auto r = message.get_object().find("role");
  return r != message.get_object().end() && r->value().is_string() ? std::string_view(r->value().get_string())
                                                                     : std::string_view();
}

// Two FNV-1a states over the same bytes (then mixed): 128 bits that name a
// conversation, fed piece by piece without building its text.
struct IdentityHash {
  std::uint64_t a = 1469598103934665603ULL, b = 0x84222325cbf29ce4ULL;
  void feed(std::string_view bytes) {
    for (unsigned char c : bytes) {
      a = (a ^ c) * 1099511628211ULL;
      b = (b ^ c) * 0x100000001b3ULL + 0x9e37;
    }
  }
  void separator(char c) { feed(std::string_view(&c, 1)); }
  void string_field(const boost::json::object& o, std::string_view name) {
    if (auto f = o.find(name); f != o.end() && f->value().is_string()) feed(f->value().get_string());
    separator('\x1f');
  }
};

// What identifies a message when a client sends it again: its role, text,
// name, tool_call_id and the ids and names of its tool calls. Not its whole
// JSON: SDKs re-send assistant turns with fields added or dropped
// (`refusal: null`, `reasoning_content`), which must not start a new conversation.
void hash_identity(const boost::json::value& message, IdentityHash& h) {
  if (!message.is_object()) return;
  const auto& o = message.get_object();
  h.string_field(o, "role");
  if (auto c = o.find("content"); c != o.end())
    for_each_text(c->value(), [&](std::string_view t) {
      h.feed(t);
      h.separator('\n');
    });
  h.separator('\x1f');
  h.string_field(o, "name");
  h.string_field(o, "tool_call_id");
  if (auto t = o.find("tool_calls"); t != o.end() && t->value().is_array())
    for (const auto& call : t->value().get_array()) {
      if (!call.is_object()) continue;
      h.string_field(call.get_object(), "id");
      if (auto f = call.get_object().find("function"); f != call.get_object().end() && f->value().is_object())
        h.string_field(f->value().get_object(), "name");
    }
  h.separator('\x1e');
}

// The key of the first `count` messages, in the scope of one gateway key.
std::string prefix_key(const boost::json::array& messages, std::size_t count, std::string_view scope) {
  IdentityHash h;
  h.feed(scope);
  h.separator('\x1d');
  for (std::size_t i = 0; i < count && i < messages.size(); ++i) hash_identity(messages[i], h);
  char key[64];
  std::snprintf(key, sizeof key, "fulcrum:sticky:%016llx%016llx", static_cast<unsigned long long>(mix64(h.a)),
                static_cast<unsigned long long>(mix64(h.b)));
  return key;
}

// The index of the last assistant turn: the messages before it are the turn it answered.
std::optional<std::size_t> last_assistant(const boost::json::array& messages) {
  for (std::size_t i = messages.size(); i-- > 0;)
    if (role_of(messages[i]) == "assistant") return i;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> StickyRoutes::continued_key(const ChatRequest& request, std::string_view scope) {
  const auto* messages = messages_of(request);
  if (!messages) return std::nullopt;
  const auto a = last_assistant(*messages);
  if (!a || *a == 0) return std::nullopt;
  return prefix_key(*messages, *a, scope);
}

std::optional<std::string> StickyRoutes::own_key(const ChatRequest& request, std::string_view scope) {
  const auto* messages = messages_of(request);
  if (!messages || messages->empty()) return std::nullopt;
  return prefix_key(*messages, messages->size(), scope);
}

std::optional<StickyRoutes::Previous> StickyRoutes::previous(const ChatRequest& request, std::string_view scope) const {
  const auto key = continued_key(request, scope);
  if (!key) return std::nullopt;
  auto value = store_.get_value(*key);
  if (!value || !value.value()) return std::nullopt;  // unknown, or the store is down: route as usual
  const auto& messages = *messages_of(request);
  Previous p;
  p.tier = std::move(*value.value());
  for (std::size_t i = 0, a = *last_assistant(messages); i < a; ++i)
    if (messages[i].is_object())
      if (auto c = messages[i].get_object().find("content"); c != messages[i].get_object().end())
        for_each_text(c->value(), [&](std::string_view t) { p.prefix_chars += static_cast<std::int64_t>(t.size()) + 1; });
  // An agent step: the history ends in the results of the tools the previous turn called.
  p.keep = mode_ == StickyMode::conversation ||
           (mode_ == StickyMode::tool_loops && role_of(messages.back()) == "tool");
  return p;
}

void StickyRoutes::remember(const ChatRequest& request, std::string_view scope, std::string_view tier) const {
  if (const auto key = own_key(request, scope))
    (void)store_.put_value(*key, tier, ttl_);  // best effort: a failure only loses stickiness
}

}  // namespace fulcrum
