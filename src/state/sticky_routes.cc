#include "state/sticky_routes.h"

#include <cstdio>
#include <cstring>

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

// 128 bits that name a conversation, fed piece by piece without building its
// text: two states, each updated eight bytes at a time (a piece's last bytes
// zero-padded, its length mixed in), so equal pieces in equal order give equal
// keys and a 4 KB conversation hashes in about a microsecond.
struct IdentityHash {
  std::uint64_t a = 0x9e3779b97f4a7c15ULL, b = 0xc2b2ae3d27d4eb4fULL;
  void word(std::uint64_t w) {
    a = (a ^ w) * 0xff51afd7ed558ccdULL;
    a = (a << 31) | (a >> 33);
    b = (b + w) * 0xc4ceb9fe1a85ec53ULL;
    b ^= b >> 29;
  }
  void feed(std::string_view bytes) {
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, bytes.data() + i, 8);
      word(w);
    }
    std::uint64_t tail = 0;
    if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);  // never from a null view
    word(tail ^ (static_cast<std::uint64_t>(bytes.size()) << 56));
  }
  void separator(char c) { word(0x5e9a000000000000ULL | static_cast<unsigned char>(c)); }
  void string_field(const boost::json::object& o, std::string_view name) {
    if (auto f = o.find(name); f != o.end() && f->value().is_string()) feed(f->value().get_string());
    separator('\x1f');
  }
  std::string key() const {
    char out[64];
    std::snprintf(out, sizeof out, "fulcrum:sticky:%016llx%016llx", static_cast<unsigned long long>(mix64(a)),
                  static_cast<unsigned long long>(mix64(b)));
    return out;
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

// The index of the last assistant turn: the messages before it are the turn it answered.
std::optional<std::size_t> last_assistant(const boost::json::array& messages) {
  for (std::size_t i = messages.size(); i-- > 0;)
    if (role_of(messages[i]) == "assistant") return i;
  return std::nullopt;
}

}  // namespace

StickyRoutes::Keys StickyRoutes::keys(const ChatRequest& request, std::string_view scope) {
  Keys k;
  const auto* messages = messages_of(request);
  if (!messages || messages->empty()) return k;
  const auto a = last_assistant(*messages);
  IdentityHash h;
  h.feed(scope);
  h.separator('\x1d');
  for (std::size_t i = 0; i < messages->size(); ++i) {
    if (a && *a == i && i > 0) k.continued = h.key();  // the messages before the last assistant turn
    const auto& m = (*messages)[i];
    if (a && i < *a && m.is_object())  // their text: the prefix the provider has cached
      if (auto c = m.get_object().find("content"); c != m.get_object().end())
        for_each_text(c->value(), [&](std::string_view t) { k.prefix_chars += static_cast<std::int64_t>(t.size()) + 1; });
    hash_identity(m, h);
  }
  k.own = h.key();
  k.ends_in_tool_results = k.continued && role_of(messages->back()) == "tool";
  return k;
}

std::optional<StickyRoutes::Previous> StickyRoutes::previous(const Keys& keys) const {
  if (!keys.continued) return std::nullopt;
  auto value = store_.get_value(*keys.continued);
  if (!value || !value.value()) return std::nullopt;  // unknown, or the store is down: route as usual
  Previous p;
  p.tier = std::move(*value.value());
  p.prefix_chars = keys.prefix_chars;
  // An agent step: the history ends in the results of the tools the previous turn called.
  p.keep = mode_ == StickyMode::conversation || (mode_ == StickyMode::tool_loops && keys.ends_in_tool_results);
  return p;
}

void StickyRoutes::remember(const Keys& keys, std::string_view tier) const {
  if (!keys.own.empty()) (void)store_.put_value(keys.own, tier, ttl_);  // best effort: a failure only loses stickiness
}

}  // namespace fulcrum
