#pragma once
// The gateway's configuration: immutable once loaded. Shared between worker
// threads as std::shared_ptr<const Config>; never mutated after load_config
// returns, so readers need no locking. Secrets are referenced by environment
// variable name only (Provider::api_key_env), never stored here.
#include <chrono>
#include <map>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "config/router_config.h"
#include "core/money.h"

namespace fulcrum {

struct Timeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds first_byte{120000};  // until the response head arrives
  std::chrono::milliseconds total{600000};       // whole exchange, streams included
};

struct RetryPolicy {
  int max_retries = 2;                        // extra attempts on the same tier
  std::chrono::milliseconds backoff{200};      // first backoff; doubles each retry
  std::chrono::milliseconds max_backoff{5000};
};

struct CooldownPolicy {
  int failures = 5;                   // consecutive failures that trigger it
  std::chrono::milliseconds duration{30000};
};

// The wire format a provider speaks: OpenAI's Chat Completions (POST
// base_url + /chat/completions, Bearer key) or Anthropic's Messages (POST
// base_url + /v1/messages, x-api-key), as Anthropic's and DeepSeek's
// Anthropic-compatible endpoints serve it.
enum class ProviderApi { openai, anthropic };

struct Provider {
  std::string name;
  ProviderApi api = ProviderApi::openai;
  std::string base_url;
  bool tls = false;
  std::string host;
  std::string port;         // always set: from the URL or 80/443
  std::string path_prefix;  // base path without a trailing '/', e.g. "/v1" or ""
  std::string api_key_env;  // empty: no Authorization header is sent
  Timeouts timeouts;
  int max_connections = 256;  // per worker thread
  RetryPolicy retry;
  CooldownPolicy cooldown;
};

struct Prices {
  MicroUsdPerMTok input = 0;         // prompt tokens that missed the provider cache
  MicroUsdPerMTok cached_input = 0;  // prompt tokens that hit it
  MicroUsdPerMTok output = 0;        // completion tokens, reasoning included

  // A call's price with every prompt token a cache miss (the router's estimate).
  PicoUsd uncached(std::int64_t prompt_tokens, std::int64_t output_tokens) const {
    return cost_of_tokens(prompt_tokens, input) + cost_of_tokens(output_tokens, output);
  }
  // What a cached prefix costs more when it misses (the conversation moved to another model).
  PicoUsd cache_lost(std::int64_t prefix_tokens) const { return cost_of_tokens(prefix_tokens, input - cached_input); }
};

// Prices in force during [from, to) minutes after midnight UTC; wraps midnight
// when from > to (e.g. 16:30-00:30 off-peak).
struct PriceWindow {
  int from_minute = 0;
  int to_minute = 0;
  Prices prices;
};

// A tier's latency as measured or published: the time to first token's
// median and 95th percentile (modelled as log-normal between them) and the
// generation speed. `fulcrum simulate` draws latencies from it.
struct LatencyProfile {
  double ttft_p50_ms = 0;
  double ttft_p95_ms = 0;
  double tokens_per_second = 0;
};

struct Tier {
  std::string name;
  std::string provider;
  std::size_t provider_index = 0;  // into Config::providers
  std::string model;               // upstream model id
  boost::json::object params;      // merged into every request body, tier wins
  Prices prices;
  std::vector<PriceWindow> price_windows;
  std::vector<std::string> fallback;  // tiers tried, in order, when this one fails
  std::vector<std::size_t> fallback_indices;
  double ttft_ms_prior = 1000;  // time to first token before any is measured (latency budgets)
  // The model's window: prompt + answer tokens it takes, and the longest answer
  // it writes. 0: not declared (no limit assumed). The router never picks a
  // tier a request does not fit; an upstream's "context length exceeded" moves
  // the request to a tier with a longer window.
  std::int64_t context_tokens = 0;
  std::int64_t max_output_tokens = 0;
  std::optional<LatencyProfile> latency;  // latency.*; its median is also the ttft prior
  bool strip_fulcrum_metadata = false;  // upstream rejects unknown metadata: drop x-fulcrum-* keys
  // DeepSeek's thinking mode refuses a history whose tool-calling assistant
  // turns lack `reasoning_content` (400 "Missing reasoning_content field").
  // On for a tier whose params enable thinking, unless
  // `quirks: {tool_calls_need_reasoning_content: false}` says otherwise.
  bool tool_calls_need_reasoning_content = false;

  // Prices at a given minute of the UTC day.
  const Prices& prices_at(int utc_minute) const;
};

// Which routed requests keep the tier an earlier turn of their conversation
// had (state/sticky_routes.h): none, agent steps (history ending in tool
// results), or every turn after a conversation's first.
enum class StickyMode { off, tool_loops, conversation };

struct RouterConfig {
  std::string default_tier;
  std::vector<std::string> aliases;  // model names that go through the router, like "auto"
  // Model names that stand for one tier (`aliases: {gpt-4o: pro}`), in config order.
  std::vector<std::pair<std::string, std::string>> tier_aliases;
  std::string model_path;            // learned outcome model (fulcrum train); empty: none
  std::string domain_model_path;     // domain classifier (fulcrum train-domains); empty: none
  double domain_min_confidence = 0.5;  // below it a predicted domain is not used
  PromptSelection prompt;
  std::map<std::string, DomainInfo> domains;
  std::vector<PolicyConfig> policies;  // tried in order; the first that decides wins
  std::int64_t output_tokens_estimate = 400;  // answer size assumed by money budgets
  StickyMode sticky = StickyMode::tool_loops;
  std::chrono::milliseconds sticky_ttl{3600000};  // how long a conversation's tier is remembered
};

struct LogConfig {
  bool access_log = true;
  std::string level = "info";
};

// The request ledger (SQLite). An empty path (`ledger: {path: null}`) turns
// it off, and with it /v1/feedback. A relative path is taken from the config
// file's directory, as router.model's is.
struct LedgerConfig {
  // A SQLite file, or (from `url`) a postgresql:// URL every replica shares.
  std::string path = "fulcrum-ledger.db";
  std::string password_env;  // PostgreSQL: the environment variable holding the password
  // PostgreSQL: the dashboard reads every replica's traffic from the
  // database this often (SQLite: it follows this process's own records).
  std::chrono::milliseconds dashboard_refresh{5000};
  std::size_t queue = 100000;  // records waiting to be written; more are dropped (and counted)
  std::chrono::milliseconds flush{20};  // a burst of records gathers this long (or to 256 records) before its commit
  std::int64_t max_size_mb = 0;        // > 0: the file stops growing here; later records are lost and counted
  // `capture: prompts` keeps each routed request's prompt text (its first
  // capture_max_chars bytes) beside its row, for `fulcrum train --ledger`;
  // prompts older than capture_retention_days are deleted. Off by default.
  bool capture_prompts = false;
  std::int64_t capture_retention_days = 30;
  std::size_t capture_max_chars = 16384;
};

// A gateway API key: clients send it as `Authorization: Bearer ...`; the
// config holds only its SHA-256 (`fulcrum hash-key` prints it).
struct ApiKey {
  std::string name;
  std::string sha256_hex;                    // lower-case hex of SHA-256(key)
  std::optional<PicoUsd> daily_budget;       // spend per UTC day
  std::optional<std::int64_t> requests_per_minute;
  std::optional<std::int64_t> tokens_per_minute;  // prompt + completion
  // A request's worst case is reserved against the daily budget before it is
  // sent: its prompt estimate at the input price plus its max_tokens (this
  // when the request names none) at the output price; the real cost settles it.
  std::int64_t default_max_tokens = 2048;
  // When the reservation does not fit the budget: answer 429 (false) or send
  // the request to the tier whose reservation is cheapest (true), 429 if even
  // that does not fit.
  bool downgrade_on_budget = false;
};

// Who may read /metrics and /dashboard*. With gateway keys (or an admin key)
// configured, a caller needs one of them (Bearer, or Basic with the key as
// the password, which browsers can send); `public` opens them on purpose.
// OpenTelemetry traces: a span per request and one per upstream attempt,
// exported as OTLP/HTTP (JSON) to a collector. Off without an endpoint.
struct TracesConfig {
  std::string otlp_endpoint;  // "http://collector:4318/v1/traces"; empty: no spans are made
  std::string service_name = "fulcrum";
  double sample_ratio = 1.0;  // of traces the client did not start (a client's sampled flag is followed)
  std::chrono::milliseconds flush{1000};  // spans gather this long before one export
  std::size_t queue = 10000;              // spans waiting to be exported; more are dropped (and counted)
  bool enabled() const { return !otlp_endpoint.empty(); }
};

struct ObservabilityConfig {
  bool is_public = false;
  std::string admin_sha256_hex;  // empty: no admin key
  TracesConfig traces;
};

// How the gateway treats its clients' connections.
struct ClientLimits {
  std::chrono::milliseconds write_timeout{30000};  // a client that reads nothing for this long is cut off
  std::chrono::milliseconds idle_timeout{120000};  // a kept-alive connection with no request begun
  std::chrono::milliseconds read_timeout{60000};   // a request's head and body, from its first byte
  std::size_t max_connections = 10000;              // open client connections, all worker threads together
};

// Where budgets, rate limits and the cache live.
struct StateConfig {
  std::string url = "local";  // or redis://HOST[:PORT][/DB]: shared by replicas
  std::string password_env;   // the variable holding Redis's password (instead of one in the URL)
  bool fail_open = true;      // the store is down: let requests through (true) or answer 503 (false)
  std::chrono::milliseconds timeout{50};
  std::chrono::milliseconds retry_after{1000};
};

struct CacheConfig {
  enum class Mode { off, deterministic, opt_in } mode = Mode::deterministic;
  std::chrono::milliseconds ttl{300000};
  std::size_t max_entries = 10000;  // local store only
};

struct Config {
  std::string listen_address = "0.0.0.0";
  std::uint16_t listen_port = 8080;
  int threads = 0;  // 0: one per core
  // Workers share the port with SO_REUSEPORT. Another process on the same
  // port would silently take part of the traffic: refused unless asked for.
  bool listen_shared = false;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::vector<Provider> providers;
  std::vector<Tier> tiers;
  RouterConfig router;
  LogConfig log;
  LedgerConfig ledger;
  std::vector<ApiKey> keys;  // empty: no gateway authentication
  StateConfig state;
  CacheConfig cache;
  ObservabilityConfig observability;
  ClientLimits clients;
  std::chrono::milliseconds shutdown_grace{10000};  // SIGTERM: time in-flight requests get to finish
  std::string source_path;

  const Tier* find_tier(std::string_view name) const;
  std::optional<std::size_t> tier_index(std::string_view name) const;
  bool is_router_alias(std::string_view model) const;
  // What a request's `model` names: the router (no model, "auto", a routed
  // alias), or a tier by its name, by an alias for it, or by its upstream
  // model id (the first tier in config order with that id: clients written
  // for the provider send "deepseek-v4-flash"). nullopt: nothing.
  struct ModelTarget {
    std::optional<std::size_t> tier;  // nullopt: the router decides
    std::string reason;               // how the name was read, for x-fulcrum-reason
  };
  std::optional<ModelTarget> resolve_model(const std::optional<std::string>& model) const;
  // Every model name a request may use: "auto, flash, pro, gpt-4o, ..." (for errors and /v1/models).
  std::vector<std::string> model_names() const;
  std::string valid_models() const;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace fulcrum
