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
    price: {input: cheap, output: 0.28}
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
  for (const char* f : {"examples/deepseek-v4.yaml", "examples/local-openai-compatible.yaml", "examples/article-policy.yaml"}) {
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
