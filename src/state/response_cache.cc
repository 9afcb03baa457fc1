#include "state/response_cache.h"

#include <algorithm>
#include <vector>

#include <boost/json.hpp>

#include "state/admission.h"

namespace fulcrum {
namespace {

// JSON with object keys sorted at every level: equal requests, equal text.
void canonical(const boost::json::value& v, std::string& out) {
  if (const auto* o = v.if_object()) {
    std::vector<const boost::json::key_value_pair*> items;
    for (const auto& kv : *o) items.push_back(&kv);
    std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out += '{';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      out += boost::json::serialize(boost::json::string(items[i]->key()));
      out += ':';
      canonical(items[i]->value(), out);
    }
    out += '}';
  } else if (const auto* a = v.if_array()) {
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ',';
      canonical((*a)[i], out);
    }
    out += ']';
  } else {
    out += boost::json::serialize(v);
  }
}

std::string_view declared(const ChatRequest& r, const HeaderLookup& header) {
  if (header) {
    auto h = header("x-fulcrum-cache");
    if (!h.empty()) return h;
  }
  if (auto m = r.body.find("metadata"); m != r.body.end() && m->value().is_object()) {
    const auto& md = m->value().get_object();
    if (auto c = md.find("x-fulcrum-cache"); c != md.end() && c->value().is_string()) return c->value().get_string();
  }
  return {};
}

}  // namespace

std::optional<std::string> ResponseCache::key_for(const ChatRequest& r, std::string_view scope, std::string_view tier,
                                                  const HeaderLookup& header) const {
  if (config_.mode == CacheConfig::Mode::off || r.stream) return std::nullopt;
  const auto says = declared(r, header);
  if (says == "off") return std::nullopt;
  bool use = says == "on";
  if (!use && config_.mode == CacheConfig::Mode::deterministic) {
    auto t = r.body.find("temperature");
    use = t != r.body.end() && t->value().is_number() && t->value().to_number<double>() == 0.0;
  }
  if (!use) return std::nullopt;
  // Lengths first: no choice of names can make two (scope, tier) pairs read alike.
  std::string text = std::to_string(scope.size()) + ':';
  text += scope;
  text += std::to_string(tier.size()) + ':';
  text += tier;
  boost::json::object body;
  for (const auto& kv : r.body)
    if (kv.key() != "metadata" && kv.key() != "user" && kv.key() != "stream" && kv.key() != "stream_options")
      body.emplace(kv.key(), kv.value());
  canonical(body, text);
  return "fulcrum:cache:" + sha256_hex(text);
}

std::optional<std::string> ResponseCache::get(const std::string& key) {
  auto v = store_.get_value(key);
  if (!v) return std::nullopt;
  return std::move(v.value());
}

void ResponseCache::put(const std::string& key, std::string_view body) { (void)store_.put_value(key, body, config_.ttl); }

}  // namespace fulcrum
