#include "config/load.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/load_router.h"
#include "config/url.h"
#include "config/yaml_reader.h"
#include "config/ledger_location.h"

namespace fulcrum {
namespace {

// YAML -> JSON for tier params. Quoted scalars stay strings; plain scalars
// become bool/int/double when they read as such (as YAML 1.2 core schema does).
boost::json::value to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      boost::json::object o;
      for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      boost::json::array a;
      for (const auto& item : n) a.push_back(to_json(item));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const auto& s = n.Scalar();
      if (n.Tag() == "!") return boost::json::string(s);  // quoted
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      long long i = 0;
      if (YAML::convert<long long>::decode(n, i)) return i;
      double d = 0;
      if (YAML::convert<double>::decode(n, d)) return d;
      return boost::json::string(s);
    }
    default:
      return nullptr;
  }
}

std::optional<int> parse_hhmm(const std::string& s) {
  int h = 0, m = 0;
  char colon = 0;
  std::istringstream is(s);
  if (!(is >> h >> colon >> m) || colon != ':' || h < 0 || h > 24 || m < 0 || m > 59) return std::nullopt;
  if (h == 24 && m != 0) return std::nullopt;
  if (is.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return h * 60 + m;
}

void read_prices(Reader& r, const YAML::Node& n, const std::string& path, Prices& out, bool required) {
  if (auto v = r.price(n, "input", path, required)) out.input = *v;
  if (auto v = r.price(n, "cached_input", path, false)) out.cached_input = *v;
  else out.cached_input = out.input;  // no cache discount unless configured
  if (auto v = r.price(n, "output", path, required)) out.output = *v;
}

void read_provider(Reader& r, const std::string& name, const YAML::Node& n, const std::string& path,
                   Provider& p) {
  p.name = name;
  if (!r.expect_map(n, path)) return;
  r.check_keys(n, path, {"type", "base_url", "api_key_env", "timeouts", "max_connections", "retries", "cooldown"});
  if (auto type = r.string(n, "type", path, false)) {
    if (*type == "anthropic") p.api = ProviderApi::anthropic;
    else if (*type != "openai") r.error(n["type"], Reader::join(path, "type"), "expected openai or anthropic");
  }
  if (auto url = r.string(n, "base_url", path, true)) {
    p.base_url = *url;
    auto parsed = parse_base_url(*url);
    if (!parsed) {
      r.error(n["base_url"], Reader::join(path, "base_url"), parsed.error().message);
    } else {
      p.tls = parsed->tls;
      p.host = parsed->host;
      p.port = parsed->port;
      p.path_prefix = parsed->path_prefix;
    }
  }
  if (auto env = r.string(n, "api_key_env", path, false)) p.api_key_env = *env;
  if (auto t = n["timeouts"]; t.IsDefined()) {
    auto tp = Reader::join(path, "timeouts");
    if (r.expect_map(t, tp)) {
      r.check_keys(t, tp, {"connect_ms", "first_byte_ms", "total_ms"});
      if (auto v = r.integer(t, "connect_ms", tp, 1, 3600000)) p.timeouts.connect = std::chrono::milliseconds(*v);
      if (auto v = r.integer(t, "first_byte_ms", tp, 1, 36000000)) p.timeouts.first_byte = std::chrono::milliseconds(*v);
      if (auto v = r.integer(t, "total_ms", tp, 1, 36000000)) p.timeouts.total = std::chrono::milliseconds(*v);
    }
  }
  if (auto v = r.integer(n, "max_connections", path, 1, 100000)) p.max_connections = static_cast<int>(*v);
  if (auto t = n["retries"]; t.IsDefined()) {
    auto tp = Reader::join(path, "retries");
    if (r.expect_map(t, tp)) {
      r.check_keys(t, tp, {"max", "backoff_ms", "max_backoff_ms"});
      if (auto v = r.integer(t, "max", tp, 0, 10)) p.retry.max_retries = static_cast<int>(*v);
      if (auto v = r.integer(t, "backoff_ms", tp, 0, 60000)) p.retry.backoff = std::chrono::milliseconds(*v);
      if (auto v = r.integer(t, "max_backoff_ms", tp, 0, 600000)) p.retry.max_backoff = std::chrono::milliseconds(*v);
    }
  }
  if (auto t = n["cooldown"]; t.IsDefined()) {
    auto tp = Reader::join(path, "cooldown");
    if (r.expect_map(t, tp)) {
      r.check_keys(t, tp, {"failures", "duration_ms"});
      if (auto v = r.integer(t, "failures", tp, 1, 1000000)) p.cooldown.failures = static_cast<int>(*v);
      if (auto v = r.integer(t, "duration_ms", tp, 0, 86400000)) p.cooldown.duration = std::chrono::milliseconds(*v);
    }
  }
}

void read_keys(Reader& r, const YAML::Node& keys, Config& cfg) {
  if (!keys.IsDefined() || keys.IsNull()) return;
  if (!keys.IsMap()) {
    r.error(keys, "keys", "expected a map of key name -> {sha256, daily_budget_usd, requests_per_minute, tokens_per_minute}");
    return;
  }
  for (const auto& kv : keys) {
    ApiKey k;
    k.name = kv.first.Scalar();
    const auto path = Reader::join("keys", k.name);
    const auto& n = kv.second;
    if (!r.expect_map(n, path)) continue;
    r.check_keys(n, path, {"sha256", "daily_budget_usd", "requests_per_minute", "tokens_per_minute",
                           "default_max_tokens", "on_budget"});
    if (auto v = r.string(n, "sha256", path, true)) {
      const bool hex = v->size() == 64 && v->find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
      if (!hex) r.error(n["sha256"], Reader::join(path, "sha256"), "expected 64 hex digits (print them with `fulcrum hash-key`)");
      k.sha256_hex = *v;
      for (auto& c : k.sha256_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (const auto& other : cfg.keys)
        if (other.sha256_hex == k.sha256_hex) r.error(n["sha256"], Reader::join(path, "sha256"), "the same key as keys." + other.name);
    }
    if (auto b = n["daily_budget_usd"]; b.IsDefined()) {
      auto micro = b.IsScalar() ? parse_price_per_mtok(b.Scalar()) : std::nullopt;  // exact decimal, in micro-USD
      if (!micro) r.error(b, Reader::join(path, "daily_budget_usd"), "expected a non-negative USD amount, at most 6 decimals");
      else if (*micro > kMaxBudget / 1000000) r.error(b, Reader::join(path, "daily_budget_usd"), "is above the largest budget fulcrum accepts, 1000000 USD");
      else k.daily_budget = *micro * 1000000;  // pico-USD
    }
    if (auto v = r.integer(n, "requests_per_minute", path, 1, 1000000000)) k.requests_per_minute = *v;
    if (auto v = r.integer(n, "tokens_per_minute", path, 1, 1000000000000)) k.tokens_per_minute = *v;
    if (auto v = r.integer(n, "default_max_tokens", path, 1, 10000000)) k.default_max_tokens = *v;
    if (auto v = r.string(n, "on_budget", path, false)) {
      if (*v == "reject") k.downgrade_on_budget = false;
      else if (*v == "downgrade") k.downgrade_on_budget = true;
      else r.error(n["on_budget"], Reader::join(path, "on_budget"), "expected reject or downgrade");
    }
    cfg.keys.push_back(std::move(k));
  }
}

void read_tier(Reader& r, const std::string& name, const YAML::Node& n, const std::string& path, Tier& t) {
  t.name = name;
  if (!r.expect_map(n, path)) return;
  r.check_keys(n, path,
               {"provider", "model", "params", "price", "fallback", "ttft_ms", "latency", "strip_fulcrum_metadata",
                "quirks", "context_tokens", "max_output_tokens"});
  if (auto v = r.integer(n, "context_tokens", path, 1, 1000000000)) t.context_tokens = *v;
  if (auto v = r.integer(n, "max_output_tokens", path, 1, 1000000000)) t.max_output_tokens = *v;
  if (t.context_tokens > 0 && t.max_output_tokens > t.context_tokens)
    r.error(n["max_output_tokens"], Reader::join(path, "max_output_tokens"), "cannot exceed context_tokens");
  if (auto v = r.boolean(n, "strip_fulcrum_metadata", path)) t.strip_fulcrum_metadata = *v;
  if (auto l = n["latency"]; l.IsDefined()) {
    auto lp = Reader::join(path, "latency");
    if (r.expect_map(l, lp)) {
      r.check_keys(l, lp, {"ttft_p50_ms", "ttft_p95_ms", "tokens_per_second"});
      auto p50 = r.number(l, "ttft_p50_ms", lp, 0.001, 3600000, true);
      auto p95 = r.number(l, "ttft_p95_ms", lp, 0.001, 3600000, true);
      auto tps = r.number(l, "tokens_per_second", lp, 0.001, 1e6, true);
      if (p50 && p95 && *p95 < *p50) r.error(l["ttft_p95_ms"], Reader::join(lp, "ttft_p95_ms"), "must be >= ttft_p50_ms");
      if (p50 && p95 && tps && *p95 >= *p50) {
        t.latency = LatencyProfile{*p50, *p95, *tps};
        t.ttft_ms_prior = *p50;  // unless ttft_ms says otherwise, below
      }
    }
  }
  if (auto v = r.number(n, "ttft_ms", path, 0, 3600000)) t.ttft_ms_prior = *v;
  if (auto v = r.string(n, "provider", path, true)) t.provider = *v;
  if (auto v = r.string(n, "model", path, true)) t.model = *v;
  if (auto p = n["params"]; p.IsDefined() && !p.IsNull()) {
    auto pp = Reader::join(path, "params");
    if (r.expect_map(p, pp)) {
      t.params = to_json(p).as_object();
      for (const char* reserved : {"model", "messages", "stream"})
        if (t.params.contains(reserved))
          r.error(p[reserved], Reader::join(pp, reserved), "cannot be set by a tier (it comes from the request)");
    }
  }
  // Thinking mode on (DeepSeek's `thinking: {type: enabled}`): its history rule applies.
  if (auto th = t.params.find("thinking"); th != t.params.end() && th->value().is_object())
    if (auto type = th->value().get_object().find("type");
        type != th->value().get_object().end() && type->value().is_string() && type->value().get_string() == "enabled")
      t.tool_calls_need_reasoning_content = true;
  if (auto q = n["quirks"]; q.IsDefined()) {
    auto qp = Reader::join(path, "quirks");
    if (r.expect_map(q, qp)) {
      r.check_keys(q, qp, {"tool_calls_need_reasoning_content"});
      if (auto v = r.boolean(q, "tool_calls_need_reasoning_content", qp)) t.tool_calls_need_reasoning_content = *v;
    }
  }
  auto price = n["price"];
  auto pp = Reader::join(path, "price");
  if (!price.IsDefined()) {
    r.error(n, pp, "is required (input, cached_input, output in USD per 1M tokens)");
  } else if (r.expect_map(price, pp)) {
    r.check_keys(price, pp, {"input", "cached_input", "output", "windows"});
    read_prices(r, price, pp, t.prices, true);
    if (auto w = price["windows"]; w.IsDefined()) {
      auto wp = Reader::join(pp, "windows");
      if (!w.IsSequence()) {
        r.error(w, wp, "expected a list of {from, to, input, cached_input, output}");
      } else {
        for (std::size_t i = 0; i < w.size(); ++i) {
          auto item = w[i];
          auto ip = Reader::index(wp, i);
          if (!r.expect_map(item, ip)) continue;
          r.check_keys(item, ip, {"from", "to", "input", "cached_input", "output"});
          PriceWindow win;
          win.prices = t.prices;
          for (auto [key, dst] : {std::pair{"from", &win.from_minute}, std::pair{"to", &win.to_minute}}) {
            auto s = r.string(item, key, ip, true);
            if (!s) continue;
            auto minute = parse_hhmm(*s);
            if (!minute) r.error(item[key], Reader::join(ip, key), "expected a UTC time HH:MM");
            else *dst = *minute % (24 * 60);
          }
          if (auto v = r.price(item, "input", ip, false)) win.prices.input = *v;
          if (auto v = r.price(item, "cached_input", ip, false)) win.prices.cached_input = *v;
          if (auto v = r.price(item, "output", ip, false)) win.prices.output = *v;
          t.price_windows.push_back(win);
        }
      }
    }
  }
  if (auto f = n["fallback"]; f.IsDefined() && !f.IsNull()) {
    auto fp = Reader::join(path, "fallback");
    if (f.IsScalar()) {
      t.fallback.push_back(f.Scalar());
    } else if (f.IsSequence()) {
      for (const auto& item : f) {
        if (item.IsScalar()) t.fallback.push_back(item.Scalar());
        else r.error(item, fp, "expected tier names");
      }
    } else {
      r.error(f, fp, "expected a tier name or a list of tier names");
    }
  }
}

}  // namespace

ConfigLoadResult load_config_text(const std::string& yaml_text, const std::string& source_name) {
  ConfigLoadResult result;
  auto& errors = result.errors;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    errors.push_back(source_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
    return result;
  }
  Reader r(source_name, errors);
  auto cfg = std::make_shared<Config>();
  cfg->source_path = source_name;
  if (!root.IsMap()) {
    r.error(root, "", "expected a mapping with providers, tiers and router");
    return result;
  }
  r.check_keys(root, "", {"listen", "threads", "max_body_bytes", "providers", "tiers", "router", "log", "ledger",
                          "shutdown_grace_ms", "keys", "state", "cache", "observability", "clients", "listen_shared"});
  read_keys(r, root["keys"], *cfg);
  if (auto st = root["state"]; st.IsDefined()) {
    if (st.IsScalar()) {
      cfg->state.url = st.Scalar();
    } else if (r.expect_map(st, "state")) {
      r.check_keys(st, "state", {"url", "password_env", "on_error", "timeout_ms", "retry_ms"});
      if (auto v = r.string(st, "url", "state", false)) cfg->state.url = *v;
      if (auto v = r.string(st, "password_env", "state", false)) cfg->state.password_env = *v;
      if (auto v = r.string(st, "on_error", "state", false)) {
        if (*v == "fail_open") cfg->state.fail_open = true;
        else if (*v == "fail_closed") cfg->state.fail_open = false;
        else r.error(st["on_error"], "state.on_error", "expected fail_open or fail_closed");
      }
      if (auto v = r.integer(st, "timeout_ms", "state", 1, 60000)) cfg->state.timeout = std::chrono::milliseconds(*v);
      if (auto v = r.integer(st, "retry_ms", "state", 1, 3600000)) cfg->state.retry_after = std::chrono::milliseconds(*v);
    }
    if (cfg->state.url != "local" && cfg->state.url.rfind("redis://", 0) != 0)
      r.error(st, "state", "expected local or redis://HOST[:PORT][/DB]");
  }
  if (auto c = root["cache"]; c.IsDefined()) {
    if (r.expect_map(c, "cache")) {
      r.check_keys(c, "cache", {"mode", "ttl_s", "max_entries"});
      if (auto v = r.string(c, "mode", "cache", false)) {
        if (*v == "off") cfg->cache.mode = CacheConfig::Mode::off;
        else if (*v == "deterministic") cfg->cache.mode = CacheConfig::Mode::deterministic;
        else if (*v == "opt_in") cfg->cache.mode = CacheConfig::Mode::opt_in;
        else r.error(c["mode"], "cache.mode", "expected off, deterministic or opt_in");
      }
      if (auto v = r.integer(c, "ttl_s", "cache", 1, 30LL * 86400)) cfg->cache.ttl = std::chrono::milliseconds(*v * 1000);
      if (auto v = r.integer(c, "max_entries", "cache", 1, 100000000)) cfg->cache.max_entries = static_cast<std::size_t>(*v);
    }
  }
  if (auto v = r.integer(root, "shutdown_grace_ms", "", 0, 3600000)) cfg->shutdown_grace = std::chrono::milliseconds(*v);
  if (auto o = root["observability"]; o.IsDefined() && r.expect_map(o, "observability")) {
    r.check_keys(o, "observability", {"public", "admin_sha256", "traces"});
    if (auto t = o["traces"]; t.IsDefined() && r.expect_map(t, "observability.traces")) {
      const std::string tp = "observability.traces";
      r.check_keys(t, tp, {"otlp_endpoint", "service_name", "sample_ratio", "flush_ms", "queue"});
      auto& traces = cfg->observability.traces;
      if (auto v = r.string(t, "otlp_endpoint", tp, true)) {
        auto url = parse_base_url(*v);
        if (!url) r.error(t["otlp_endpoint"], tp + ".otlp_endpoint", url.error().message);
        else if (url->tls)
          r.error(t["otlp_endpoint"], tp + ".otlp_endpoint",
                  "only http:// (a collector beside the gateway); an OpenTelemetry Collector forwards over TLS");
        else traces.otlp_endpoint = *v;
      }
      if (auto v = r.string(t, "service_name", tp, false)) traces.service_name = *v;
      if (auto v = r.number(t, "sample_ratio", tp, 0, 1)) traces.sample_ratio = *v;
      if (auto v = r.integer(t, "flush_ms", tp, 1, 60000)) traces.flush = std::chrono::milliseconds(*v);
      if (auto v = r.integer(t, "queue", tp, 1, 10000000)) traces.queue = static_cast<std::size_t>(*v);
    }
    if (auto v = r.boolean(o, "public", "observability")) cfg->observability.is_public = *v;
    if (auto v = r.string(o, "admin_sha256", "observability", false)) {
      if (v->size() != 64 || v->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        r.error(o["admin_sha256"], "observability.admin_sha256", "expected 64 hex digits (print them with `fulcrum hash-key`)");
      cfg->observability.admin_sha256_hex = *v;
      for (auto& c : cfg->observability.admin_sha256_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (auto c = root["clients"]; c.IsDefined() && r.expect_map(c, "clients")) {
    r.check_keys(c, "clients", {"write_timeout_ms", "idle_timeout_ms", "read_timeout_ms", "max_connections"});
    if (auto v = r.integer(c, "write_timeout_ms", "clients", 100, 3600000)) cfg->clients.write_timeout = std::chrono::milliseconds(*v);
    if (auto v = r.integer(c, "idle_timeout_ms", "clients", 100, 3600000)) cfg->clients.idle_timeout = std::chrono::milliseconds(*v);
    if (auto v = r.integer(c, "read_timeout_ms", "clients", 100, 3600000)) cfg->clients.read_timeout = std::chrono::milliseconds(*v);
    if (auto v = r.integer(c, "max_connections", "clients", 1, 10000000)) cfg->clients.max_connections = static_cast<std::size_t>(*v);
  }
  if (auto l = root["ledger"]; l.IsDefined()) {
    if (r.expect_map(l, "ledger")) {
      r.check_keys(l, "ledger",
                   {"path", "url", "password_env", "dashboard_refresh_ms", "queue", "flush_ms", "max_size_mb", "capture",
                    "capture_retention_days", "capture_max_chars"});
      if (auto node = l["path"]; node.IsDefined() && node.IsNull()) cfg->ledger.path.clear();
      else if (auto v = r.string(l, "path", "ledger", false)) cfg->ledger.path = *v;
      if (auto v = r.string(l, "url", "ledger", false)) {
        if (l["path"].IsDefined()) r.error(l["url"], "ledger.url", "give ledger.path (SQLite) or ledger.url (PostgreSQL), not both");
        else if (!is_postgres_url(*v))
          r.error(l["url"], "ledger.url", "expected postgresql://[user@]host[:port]/database");
        else if (v->find('@') != std::string::npos && v->find(':', v->find("://") + 3) < v->find('@'))
          r.error(l["url"], "ledger.url", "keep the password out of the config: name its variable in ledger.password_env");
        else cfg->ledger.path = *v;
      }
      if (auto v = r.string(l, "password_env", "ledger", false)) {
        if (!is_postgres_url(cfg->ledger.path)) r.error(l["password_env"], "ledger.password_env", "only with ledger.url");
        cfg->ledger.password_env = *v;
      }
      if (auto v = r.integer(l, "dashboard_refresh_ms", "ledger", 100, 3600000))
        cfg->ledger.dashboard_refresh = std::chrono::milliseconds(*v);
      if (auto v = r.integer(l, "queue", "ledger", 1, 100000000)) cfg->ledger.queue = static_cast<std::size_t>(*v);
      if (auto v = r.integer(l, "flush_ms", "ledger", 0, 10000)) cfg->ledger.flush = std::chrono::milliseconds(*v);
      if (auto v = r.integer(l, "max_size_mb", "ledger", 1, 100000000)) cfg->ledger.max_size_mb = *v;
      if (auto v = r.string(l, "capture", "ledger", false)) {
        if (*v == "prompts") cfg->ledger.capture_prompts = true;
        else if (*v == "none") cfg->ledger.capture_prompts = false;
        else r.error(l["capture"], "ledger.capture", "expected none or prompts");
      }
      if (auto v = r.integer(l, "capture_retention_days", "ledger", 1, 36500)) cfg->ledger.capture_retention_days = *v;
      if (auto v = r.integer(l, "capture_max_chars", "ledger", 16, 1 << 24))
        cfg->ledger.capture_max_chars = static_cast<std::size_t>(*v);
    }
  }

  if (auto listen = r.string(root, "listen", "", false)) {
    if (auto hp = parse_host_port(*listen)) {
      cfg->listen_address = hp->host;
      cfg->listen_port = hp->port;
    } else {
      r.error(root["listen"], "listen", "expected HOST:PORT, e.g. 0.0.0.0:8080");
    }
  }
  if (auto v = r.integer(root, "threads", "", 0, 256)) cfg->threads = static_cast<int>(*v);
  if (auto v = r.boolean(root, "listen_shared", "")) cfg->listen_shared = *v;
  if (auto v = r.integer(root, "max_body_bytes", "", 1024, 1LL << 30)) cfg->max_body_bytes = static_cast<std::size_t>(*v);

  if (auto log = root["log"]; log.IsDefined()) {
    if (r.expect_map(log, "log")) {
      r.check_keys(log, "log", {"access", "level"});
      if (auto v = r.boolean(log, "access", "log")) cfg->log.access_log = *v;
      if (auto v = r.string(log, "level", "log", false)) {
        static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
        if (!levels.count(*v)) r.error(log["level"], "log.level", "expected one of trace, debug, info, warn, error, off");
        else cfg->log.level = *v;
      }
    }
  }

  auto providers = root["providers"];
  if (!providers.IsDefined() || !providers.IsMap() || providers.size() == 0) {
    r.error(providers.IsDefined() ? providers : root, "providers", "expected a mapping of at least one provider");
  } else {
    for (const auto& kv : providers) {
      Provider p;
      read_provider(r, kv.first.Scalar(), kv.second, "providers." + kv.first.Scalar(), p);
      cfg->providers.push_back(std::move(p));
    }
  }

  auto tiers = root["tiers"];
  if (!tiers.IsDefined() || !tiers.IsMap() || tiers.size() == 0) {
    r.error(tiers.IsDefined() ? tiers : root, "tiers", "expected a mapping of at least one tier");
  } else {
    for (const auto& kv : tiers) {
      const auto name = kv.first.Scalar();
      const auto path = "tiers." + name;
      if (name == "auto" || name.empty()) {
        r.error(kv.first, path, "\"auto\" is reserved for the router; choose another tier name");
      }
      Tier t;
      read_tier(r, name, kv.second, path, t);
      if (!t.provider.empty()) {
        bool found = false;
        for (std::size_t i = 0; i < cfg->providers.size(); ++i)
          if (cfg->providers[i].name == t.provider) { t.provider_index = i; found = true; }
        if (!found && !cfg->providers.empty())
          r.error(kv.second["provider"], path + ".provider", "names no provider \"" + t.provider + "\"");
      }
      cfg->tiers.push_back(std::move(t));
    }
    // Fallbacks are resolved once all tiers are known (they may name later tiers).
    std::size_t ti = 0;
    for (const auto& kv : tiers) {
      auto& t = cfg->tiers[ti++];
      for (std::size_t i = 0; i < t.fallback.size(); ++i) {
        auto idx = cfg->tier_index(t.fallback[i]);
        auto at = kv.second.IsMap() ? kv.second["fallback"] : kv.second;
        if (!idx) r.error(at, "tiers." + t.name + ".fallback", "names no tier \"" + t.fallback[i] + "\"");
        else if (cfg->tiers[*idx].name == t.name) r.error(at, "tiers." + t.name + ".fallback", "a tier cannot fall back to itself");
        else t.fallback_indices.push_back(*idx);
      }
    }
  }

  auto router = root["router"];
  if (!router.IsDefined()) {
    r.error(root, "router", "is required (at least router.default: <tier>)");
  } else if (r.expect_map(router, "router")) {
    read_router_section(r, router, *cfg);
  }

  // Every relative path in a config means the same thing: relative to the file (router.model resolves likewise).
  if (std::filesystem::path ledger(cfg->ledger.path);
      !cfg->ledger.path.empty() && !is_postgres_url(cfg->ledger.path) && ledger.is_relative())
    cfg->ledger.path = (std::filesystem::path(source_name).parent_path() / ledger).string();
  if (errors.empty()) result.config = std::move(cfg);
  return result;
}

ConfigLoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoadResult r;
    r.errors.push_back(path + ": cannot open the config file");
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path);
}

}  // namespace fulcrum
