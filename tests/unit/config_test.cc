#include "config/load.h"

#include <gtest/gtest.h>

#include "config/url.h"

namespace fulcrum {
namespace {

const char* kGood = R"(listen: 127.0.0.1:9000
threads: 2
providers:
  ds:
    base_url: https://api.deepseek.com/v1/
    api_key_env: DS_KEY
    timeouts: {connect_ms: 100, first_byte_ms: 200, total_ms: 300}
    retries: {max: 3, backoff_ms: 10}
tiers:
  flash:
    provider: ds
    model: deepseek-v4-flash
    params: {thinking: {type: disabled}, reasoning_effort: "high", top_k: 5}
    price:
      input: 0.14
      cached_input: 0.0028
      output: 0.28
      windows: [{from: "16:30", to: "00:30", input: 0.07, output: 0.14}]
    fallback: [pro]
  pro:
    provider: ds
    model: deepseek-v4-pro
    price: {input: 0.435, output: 0.87}
router:
  default: flash
  aliases: [gpt-4o]
)";

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST(Config, LoadsAValidFile) {
  auto r = load_config_text(kGood, "good.yaml");
  ASSERT_TRUE(r.config) << joined(r.errors);
  const auto& c = *r.config;
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9000);
  ASSERT_EQ(c.providers.size(), 1u);
  EXPECT_TRUE(c.providers[0].tls);
  EXPECT_EQ(c.providers[0].host, "api.deepseek.com");
  EXPECT_EQ(c.providers[0].port, "443");
  EXPECT_EQ(c.providers[0].path_prefix, "/v1");
  EXPECT_EQ(c.providers[0].timeouts.first_byte.count(), 200);
  EXPECT_EQ(c.providers[0].retry.max_retries, 3);
  ASSERT_EQ(c.tiers.size(), 2u);
  EXPECT_EQ(c.tiers[0].name, "flash");  // document order is kept
  EXPECT_EQ(c.tiers[0].prices.cached_input, 2800);
  EXPECT_EQ(c.tiers[1].prices.cached_input, 435000) << "no cache price: cache hits cost the input price";
  EXPECT_EQ(c.tiers[0].params.at("thinking").at("type").as_string(), "disabled");
  EXPECT_TRUE(c.tiers[0].params.at("reasoning_effort").is_string());
  EXPECT_EQ(c.tiers[0].params.at("top_k").as_int64(), 5);
  ASSERT_EQ(c.tiers[0].fallback_indices.size(), 1u);
  EXPECT_EQ(c.tiers[0].fallback_indices[0], 1u);
  EXPECT_TRUE(c.is_router_alias("auto"));
  EXPECT_TRUE(c.is_router_alias("gpt-4o"));
  EXPECT_FALSE(c.is_router_alias("flash"));
}

TEST(Config, PriceWindowsApplyByUtcMinuteAndWrapMidnight) {
  auto r = load_config_text(kGood, "good.yaml");
  ASSERT_TRUE(r.config);
  const auto& t = r.config->tiers[0];
  EXPECT_EQ(t.prices_at(12 * 60).input, 140000);
  EXPECT_EQ(t.prices_at(16 * 60 + 30).input, 70000);
  EXPECT_EQ(t.prices_at(23 * 60).output, 140000);
  EXPECT_EQ(t.prices_at(0).input, 70000);
  EXPECT_EQ(t.prices_at(30).input, 140000);
  EXPECT_EQ(t.prices_at(16 * 60 + 45).cached_input, 2800) << "unset window fields keep the base price";
}

TEST(Config, ReportsEveryErrorWithPathAndLine) {
  const char* bad = R"(listen: nowhere
providers:
  ds:
    base_url: ftp://x
    timeouts: {connect_ms: -5}
    colour: blue
tiers:
  flash:
    provider: nope
    model: m
    price: {input: cheap, output: 1000.000001}
    fallback: [ghost]
router:
  default: missing
)";
  auto r = load_config_text(bad, "bad.yaml");
  EXPECT_FALSE(r.config);
  const auto& e = r.errors;
  EXPECT_TRUE(any_contains(e, "bad.yaml:1:9: listen: expected HOST:PORT")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:4:15: providers.ds.base_url: scheme must be http or https")) << joined(e);
  EXPECT_TRUE(any_contains(e, "providers.ds.timeouts.connect_ms: must be between")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:6:5: providers.ds.colour: unknown key")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:9:15: tiers.flash.provider: names no provider \"nope\"")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:11:20: tiers.flash.price.input: expected a non-negative USD amount")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:11:35: tiers.flash.price.output: is above the largest price")) << joined(e);
  EXPECT_TRUE(any_contains(e, "tiers.flash.fallback: names no tier \"ghost\"")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:14:12: router.default: names no tier \"missing\"")) << joined(e);
  EXPECT_GE(e.size(), 8u);
}

TEST(Config, RequiresPricesModelAndRouter) {
  auto r = load_config_text("providers: {p: {base_url: 'http://h:1'}}\ntiers: {t: {provider: p}}\n", "x.yaml");
  EXPECT_TRUE(any_contains(r.errors, "tiers.t.model: is required")) << joined(r.errors);
  EXPECT_TRUE(any_contains(r.errors, "tiers.t.price: is required")) << joined(r.errors);
  EXPECT_TRUE(any_contains(r.errors, "router: is required")) << joined(r.errors);
}

TEST(Config, ModelNamesResolveToTheRouterOrATier) {
  auto c = load_config_text(R"(providers: {p: {base_url: 'http://h:1'}}
tiers:
  flash: {provider: p, model: v4-flash, price: {input: 1, output: 1}}
  pro: {provider: p, model: v4-pro, price: {input: 2, output: 2}}
  pro-max: {provider: p, model: v4-pro, price: {input: 2, output: 2}}
router: {default: flash, aliases: {gpt-4o: pro, gpt-4o-mini: auto}}
)", "x.yaml");
  ASSERT_TRUE(c.config) << joined(c.errors);
  const auto& cfg = *c.config;
  auto tier_of = [&](std::optional<std::string> m) -> std::string {
    auto t = cfg.resolve_model(m);
    if (!t) return "(none)";
    return t->tier ? cfg.tiers[*t->tier].name + ": " + t->reason : "(router)";
  };
  EXPECT_EQ(tier_of(std::nullopt), "(router)");
  EXPECT_EQ(tier_of("auto"), "(router)");
  EXPECT_EQ(tier_of("gpt-4o-mini"), "(router)");
  EXPECT_EQ(tier_of("gpt-4o"), "pro: model gpt-4o is an alias of tier pro");
  EXPECT_EQ(tier_of("pro-max"), "pro-max: requested tier pro-max");
  EXPECT_EQ(tier_of("v4-flash"), "flash: upstream model v4-flash is tier flash");
  EXPECT_EQ(tier_of("v4-pro"), "pro: upstream model v4-pro is tier pro");  // the first tier with that id
  EXPECT_EQ(tier_of("gpt-9"), "(none)");
  EXPECT_EQ(cfg.valid_models(), "auto, flash, pro, pro-max, gpt-4o-mini, gpt-4o, v4-flash, v4-pro");

  auto bad = load_config_text(R"(providers: {p: {base_url: 'http://h:1'}}
tiers:
  flash: {provider: p, model: m, price: {input: 1, output: 1}}
router: {default: flash, aliases: {gpt-4o: nope, flash: auto}}
)", "x.yaml");
  EXPECT_FALSE(bad.config);
  EXPECT_TRUE(any_contains(bad.errors, "router.aliases.gpt-4o: names no tier \"nope\"")) << joined(bad.errors);
  EXPECT_TRUE(any_contains(bad.errors, "\"flash\" is already a tier name")) << joined(bad.errors);
}

TEST(Config, ReadsStickyRouting) {
  const std::string tiers = R"(providers: {p: {base_url: 'http://h:1'}}
tiers:
  t: {provider: p, model: m, price: {input: 1, output: 1}}
)";
  auto byDefault = load_config_text(tiers + "router: {default: t}\n", "x.yaml");
  ASSERT_TRUE(byDefault.config) << joined(byDefault.errors);
  EXPECT_EQ(byDefault.config->router.sticky, StickyMode::tool_loops);
  auto conv = load_config_text(tiers + "router: {default: t, sticky: conversation, sticky_ttl_s: 60}\n", "x.yaml");
  ASSERT_TRUE(conv.config) << joined(conv.errors);
  EXPECT_EQ(conv.config->router.sticky, StickyMode::conversation);
  EXPECT_EQ(conv.config->router.sticky_ttl, std::chrono::seconds(60));
  auto bad = load_config_text(tiers + "router: {default: t, sticky: always}\n", "x.yaml");
  EXPECT_FALSE(bad.config);
  EXPECT_TRUE(any_contains(bad.errors, "router.sticky: expected tool_loops, conversation or off")) << joined(bad.errors);
}

TEST(Config, RejectsReservedNamesAndParams) {
  auto r = load_config_text(R"(providers: {p: {base_url: 'http://h:1'}}
tiers:
  auto: {provider: p, model: m, price: {input: 1, output: 1}}
  t: {provider: p, model: m, params: {model: x}, price: {input: 1, output: 1}, fallback: t}
router: {default: t, aliases: [t]}
)", "x.yaml");
  EXPECT_TRUE(any_contains(r.errors, "\"auto\" is reserved")) << joined(r.errors);
  EXPECT_TRUE(any_contains(r.errors, "tiers.t.params.model: cannot be set by a tier")) << joined(r.errors);
  EXPECT_TRUE(any_contains(r.errors, "cannot fall back to itself")) << joined(r.errors);
  EXPECT_TRUE(any_contains(r.errors, "router.aliases: \"t\" is already a tier name")) << joined(r.errors);
}

TEST(Config, ReportsYamlSyntaxErrorsWithLine) {
  auto r = load_config_text("providers:\n  a: [1, 2\n", "s.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("s.yaml:"), std::string::npos);
  EXPECT_NE(r.errors[0].find("YAML syntax error"), std::string::npos);
}

TEST(Config, MissingFileIsAClearError) {
  auto r = load_config_file("/nonexistent/fulcrum.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("cannot open"), std::string::npos);
}

TEST(Config, ShippedExamplesAreValid) {
  for (const char* f : {"examples/deepseek-v4.yaml", "examples/local-openai-compatible.yaml", "examples/article-policy.yaml",
                        "examples/smart-route.yaml"}) {
    auto r = load_config_file(std::string(FULCRUM_SOURCE_DIR) + "/" + f);
    EXPECT_TRUE(r.config) << f << "\n" << joined(r.errors);
  }
}

TEST(Url, ParsesBaseUrls) {
  auto a = parse_base_url("http://127.0.0.1:8000/v1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8000");
  EXPECT_EQ(a->path_prefix, "/v1");
  auto b = parse_base_url("https://[::1]/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, "443");
  EXPECT_EQ(b->path_prefix, "");
  EXPECT_FALSE(parse_base_url("api.deepseek.com"));
  EXPECT_FALSE(parse_base_url("http://h/?q=1"));
}

TEST(Url, ParsesHostPort) {
  auto a = parse_host_port("[::1]:0");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  EXPECT_FALSE(parse_host_port("host"));
  EXPECT_FALSE(parse_host_port("host:70000"));
  EXPECT_FALSE(parse_host_port(":80"));
}

}  // namespace fulcrum

namespace fulcrum {
namespace {

TEST(Config, OperationsSectionsParseAndReportErrorsByLine) {
  const std::string head = R"(providers: {p: {base_url: 'http://h:1'}}
tiers:
  t:
    provider: p
    model: m
    price: {input: 1, output: 2}
    latency: {ttft_p50_ms: 100, ttft_p95_ms: 150, tokens_per_second: 80}
router: {default: t}
)";
  auto good = load_config_text(head + R"(ledger: {path: /tmp/x.db, queue: 10, flush_ms: 5}
shutdown_grace_ms: 2500
keys:
  team: {sha256: )" + std::string(64, 'A') + R"(, daily_budget_usd: 12.5, requests_per_minute: 60, tokens_per_minute: 1000}
state: {url: "redis://127.0.0.1:6380/2", on_error: fail_closed, timeout_ms: 20}
cache: {mode: opt_in, ttl_s: 60, max_entries: 5}
)", "ops.yaml");
  ASSERT_TRUE(good.config) << (good.errors.empty() ? "" : good.errors.front());
  const auto& c = *good.config;
  EXPECT_EQ(c.tiers[0].latency->ttft_p95_ms, 150);
  EXPECT_EQ(c.tiers[0].ttft_ms_prior, 100) << "the profile's median is the latency-budget prior";
  EXPECT_EQ(c.ledger.path, "/tmp/x.db");
  EXPECT_EQ(c.ledger.queue, 10u);
  EXPECT_EQ(c.shutdown_grace.count(), 2500);
  ASSERT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.keys[0].sha256_hex, std::string(64, 'a')) << "hashes compare in lower case";
  EXPECT_EQ(*c.keys[0].daily_budget, 12500000000000) << "$12.5 in pico-USD, exact";
  EXPECT_EQ(*c.keys[0].requests_per_minute, 60);
  EXPECT_EQ(c.state.url, "redis://127.0.0.1:6380/2");
  EXPECT_FALSE(c.state.fail_open);
  EXPECT_EQ(c.cache.mode, CacheConfig::Mode::opt_in);
  EXPECT_EQ(c.cache.ttl.count(), 60000);
  // A relative ledger path is taken from the config file's directory, as router.model is.
  auto relative = load_config_text(head + "ledger: {path: data/l.db}\n", "/etc/fulcrum/gw.yaml");
  ASSERT_TRUE(relative.config);
  EXPECT_EQ(relative.config->ledger.path, "/etc/fulcrum/data/l.db");
  auto defaulted = load_config_text(head, "conf/gw.yaml");
  ASSERT_TRUE(defaulted.config);
  EXPECT_EQ(defaulted.config->ledger.path, "conf/fulcrum-ledger.db");
  auto off = load_config_text(head + "ledger: {path: null}\n", "off.yaml");
  ASSERT_TRUE(off.config);
  EXPECT_TRUE(off.config->ledger.path.empty());

  auto bad = load_config_text(head + R"(keys:
  a: {sha256: nothex, daily_budget_usd: lots}
  b: {sha256: )" + std::string(64, 'b') + R"(, colour: red}
  c: {sha256: )" + std::string(64, 'b') + R"(}
  d: {sha256: )" + std::string(64, 'd') + R"(, daily_budget_usd: 1000000000}
state: {url: "memcached://x", on_error: maybe}
cache: {mode: sometimes}
)", "bad.yaml");
  ASSERT_FALSE(bad.config);
  const auto& e = bad.errors;
  EXPECT_TRUE(any_contains(e, "bad.yaml:10:15: keys.a.sha256: expected 64 hex digits")) << joined(e);
  EXPECT_TRUE(any_contains(e, "bad.yaml:10:41: keys.a.daily_budget_usd: expected a non-negative USD amount")) << joined(e);
  EXPECT_TRUE(any_contains(e, "keys.b.colour: unknown key")) << joined(e);
  EXPECT_TRUE(any_contains(e, "keys.c.sha256: the same key as keys.b")) << joined(e);
  EXPECT_TRUE(any_contains(e, "keys.d.daily_budget_usd: is above the largest budget")) << joined(e);
  EXPECT_TRUE(any_contains(e, "state.on_error: expected fail_open or fail_closed")) << joined(e);
  EXPECT_TRUE(any_contains(e, "state: expected local or redis://")) << joined(e);
  EXPECT_TRUE(any_contains(e, "cache.mode: expected off, deterministic or opt_in")) << joined(e);

  auto latency = load_config_text(R"(providers: {p: {base_url: 'http://h:1'}}
tiers:
  t: {provider: p, model: m, price: {input: 1, output: 2}, latency: {ttft_p50_ms: 200, ttft_p95_ms: 100}}
router: {default: t}
)", "lat.yaml");
  EXPECT_TRUE(any_contains(latency.errors, "tiers.t.latency.tokens_per_second: is required")) << joined(latency.errors);
  EXPECT_TRUE(any_contains(latency.errors, "tiers.t.latency.ttft_p95_ms: must be >= ttft_p50_ms")) << joined(latency.errors);
}

}  // namespace
}  // namespace fulcrum
