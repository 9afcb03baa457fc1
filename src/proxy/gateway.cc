#include "proxy/gateway.h"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json.hpp>

#include "core/client_text.h"
#include "core/clock.h"
#include "http/run_elsewhere.h"
#include "openai/error_body.h"
#include "openai/feedback.h"
#include "anthropic/messages_api.h"
#include "openai/responses_api.h"
#include "proxy/chat_completion.h"
#include "proxy/translating_sink.h"

namespace fulcrum {

namespace {
// A named view, not a literal: g++ 12 miscompiles char-array arguments to coroutines.
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

// Finds the request a feedback names and stores the verdict: both may ask the
// ledger's database (an id older than its memory; with PostgreSQL, a verdict
// another replica may have given), so this runs off the event loop. `caller`
// is the key's name; `keyed`: the gateway has keys, and a request is only its
// own key's to judge.
Result<FeedbackRecord> record_feedback(FeedbackStore& store, FeedbackRecord record, const std::string& caller,
                                       bool keyed) {
  auto found = store.find_request(record.request_id);
  if (!found)  // the ledger's database is away: the caller may send it again
    return make_error(Errc::unavailable, "the ledger cannot be read right now; send the feedback again");
  auto& target = found.value();
  // Another key's request gets the same answer as an unknown id: its existence is not the caller's to learn.
  if (!target || (keyed && target->key != caller))
    return make_error(Errc::not_found, "no request with id '" + clip_client_text(record.request_id) + "' in the ledger",
                      "request_id");
  record.tier = std::move(target->tier);
  record.replaced = store.store(record);
  return record;
}
}  // namespace

Gateway::Gateway(std::shared_ptr<GatewayStateSlot> slot, net::any_io_executor ex, net::any_io_executor lookups)
    : slot_(std::move(slot)), upstream_(std::move(ex)), lookups_(std::move(lookups)) {}

std::pair<int, std::string> Gateway::reject(int status, std::string_view why) {
  Errc code = status == 413 ? Errc::body_too_large : Errc::invalid_request;
  auto e = make_error(code, std::string(why));
  auto http_error = to_http_error(e);
  return {status, http_error.body};
}

Task<void> Gateway::send_error(ResponseSink& sink, const Error& e, HeaderList headers) {
  auto http_error = to_http_error(e);
  if (http_error.retry_after_s >= 0) headers.emplace_back("retry-after", std::to_string(http_error.retry_after_s));
  co_await sink.send(http_error.status, std::move(headers), http_error.body, http_error.content_type);
}

Task<void> Gateway::models(const GatewayState& state, ResponseSink& sink) {
  boost::json::array data;
  auto add = [&data](const std::string& id, const std::string& owner) {
    boost::json::object m;
    m["id"] = id;
    m["object"] = "model";
    m["created"] = 0;
    m["owned_by"] = owner;
    data.push_back(std::move(m));
  };
  const auto& cfg = *state.config;
  for (const auto& name : cfg.model_names()) {
    const auto* tier = cfg.find_tier(name);
    add(name, tier ? tier->provider : "fulcrum");
  }
  boost::json::object root;
  root["object"] = "list";
  root["data"] = std::move(data);
  co_await sink.send(200, {}, boost::json::serialize(root), kJson);
}

Task<void> Gateway::readiness(const GatewayState& state, ResponseSink& sink) {
  // Ready when the default tier can be called: its provider needs no key or has one.
  const auto& cfg = *state.config;
  const auto* def = cfg.find_tier(cfg.router.default_tier);
  boost::json::object root;
  boost::json::object providers;
  bool ready = def != nullptr;
  for (std::size_t i = 0; i < cfg.providers.size(); ++i) {
    boost::json::object p;
    if (state.credentials.missing(i)) {
      p["api_key"] = "missing: set the environment variable " + cfg.providers[i].api_key_env;
      if (def && def->provider_index == i) ready = false;
    } else {
      p["api_key"] = cfg.providers[i].api_key_env.empty() ? "not needed" : "set";
    }
    providers[cfg.providers[i].name] = std::move(p);
  }
  root["status"] = ready ? "ready" : "not ready";
  root["providers"] = std::move(providers);
  co_await sink.send(ready ? 200 : 503, {}, boost::json::serialize(root), kJson);
}

Task<void> Gateway::feedback(const GatewayState& state, const HttpRequest& request, ResponseSink& sink) {
  std::string caller;  // the key's name; empty on an open gateway
  if (state.admission) {
    auto key = state.admission->authenticate(request.header("authorization"));
    if (!key) {
      const auto e = key.error();
      co_await send_error(sink, e);
      co_return;
    }
    caller = key.value()->name;
    // Feedback counts against the key's requests_per_minute like a request does.
    auto count = [admission = state.admission.get(), key = key.value()] { return admission->count_request(*key, unix_ms_now()); };
    if (auto counted = co_await call_store(state, count); !counted) {
      const auto e = counted.error();
      co_await send_error(sink, e);
      co_return;
    }
  }
  auto parsed = parse_feedback(request.body);
  if (!parsed) {
    co_await send_error(sink, parsed.error());
    co_return;
  }
  if (!state.feedback) {
    const auto e = make_error(Errc::unavailable, "feedback needs the ledger, which is off (ledger.path in the config)");
    co_await send_error(sink, e);
    co_return;
  }
  // Everything the lookup reads is copied into it: it runs on another thread,
  // and must stay valid even if this request's event loop stops first.
  // Named, not a temporary in the co_await: g++ 12 destroys those twice.
  auto lookup = [store = state.feedback, record = std::move(parsed.value()), caller = std::move(caller),
                 keyed = state.admission != nullptr]() mutable {
    return record_feedback(*store, std::move(record), caller, keyed);
  };
  auto recorded = co_await run_elsewhere(lookups_, std::move(lookup));
  if (!recorded) {
    const auto e = recorded.error();
    co_await send_error(sink, e);
    co_return;
  }
  const auto& feedback = recorded.value();
  if (state.metrics) state.metrics->on_feedback(feedback);
  if (state.dashboard) state.dashboard->on_feedback(feedback);
  boost::json::object o;
  o["status"] = feedback.replaced ? "replaced" : "recorded";
  o["request_id"] = feedback.request_id;
  o["tier"] = feedback.tier;
  co_await sink.send(200, {}, boost::json::serialize(o), kJson);
}

bool Gateway::may_observe(const GatewayState& state, const HttpRequest& request) const {
  const auto& cfg = *state.config;
  if (cfg.observability.is_public) return true;
  if (state.admission) return state.admission->may_observe(request.header("authorization"));
  // No gateway keys: open unless an admin key is configured.
  return cfg.observability.admin_sha256_hex.empty() || is_admin_key(cfg, request.header("authorization"));
}

Task<void> Gateway::handle(const HttpRequest& request, ResponseSink& sink) {
  slot_->in_flight.fetch_add(1, std::memory_order_relaxed);
  struct Done {
    std::atomic<int>& n;
    ~Done() { n.fetch_sub(1, std::memory_order_relaxed); }
  } done{slot_->in_flight};
  const auto state = slot_->get();  // held to the end of the request
  co_await dispatch(*state, request, sink);
}

Task<void> Gateway::dispatch(const GatewayState& state, const HttpRequest& request, ResponseSink& sink) {
  // Errors are built outside the co_await expressions: g++ 12 cannot keep
  // string-literal temporaries alive across a suspension point.
  const std::string path(request.target.substr(0, request.target.find('?')));
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (const auto encoding = request.header("content-encoding");
      post && !encoding.empty() && !boost::algorithm::iequals(encoding, "identity")) {
    // Read as it is, a compressed body would be refused as "not valid JSON".
    const auto e = make_error(Errc::unsupported_encoding, "Content-Encoding \"" + clip_client_text(encoding) +
                                                              "\" is not supported: send the request body uncompressed");
    co_await send_error(sink, e, {});
    co_return;
  }
  if (path == "/v1/chat/completions" || path == "/chat/completions") {
    if (post) {
      co_await serve_chat_completion(state, upstream_, request, sink);
    } else {
      HeaderList allow{{"allow", "POST"}};
      const auto e = make_error(Errc::method_not_allowed, "use POST for " + path);
      co_await send_error(sink, e, std::move(allow));
    }
  } else if (path == "/v1/responses" || path == "/responses" || path == "/v1/messages" || path == "/messages") {
    if (post) {
      // Another client API: translated into a chat completions request, routed and
      // accounted like one, answered in the client's format (proxy/translating_sink.h).
      const bool anthropic = path.ends_with("/messages");
      auto chat = anthropic ? messages_to_chat(request.body) : responses_to_chat(request.body);
      const auto format = anthropic ? messages_answer_format() : responses_answer_format();
      if (!chat) {
        const auto http_error = to_http_error(chat.error());
        co_await sink.send(http_error.status, {}, format->error(http_error.status, http_error.body), kJson);
      } else {
        // Anthropic clients send their key as x-api-key: it is the gateway key too.
        std::string bearer;
        if (anthropic && request.header("authorization").empty() && !request.header("x-api-key").empty())
          bearer = "Bearer " + std::string(request.header("x-api-key"));
        const auto& original = request.header;
        const HttpRequest translated{
            request.method, request.target, chat.value(),
            [&original, &bearer](std::string_view name) -> std::string_view {
              if (!bearer.empty() && name == "authorization") return bearer;
              return original(name);
            }};
        TranslatingSink translating(sink, *format);
        co_await serve_chat_completion(state, upstream_, translated, translating);
      }
    } else {
      HeaderList allow{{"allow", "POST"}};
      const auto e = make_error(Errc::method_not_allowed, "use POST for " + path);
      co_await send_error(sink, e, std::move(allow));
    }
  } else if (path == "/v1/models" || path == "/models") {
    if (get) {
      co_await models(state, sink);
    } else {
      HeaderList allow{{"allow", "GET"}};
      const auto e = make_error(Errc::method_not_allowed, "use GET for " + path);
      co_await send_error(sink, e, std::move(allow));
    }
  } else if (path == "/healthz") {
    std::string body = R"({"status":"ok"})";
    co_await sink.send(200, HeaderList{}, std::move(body), kJson);
  } else if (path == "/readyz") {
    co_await readiness(state, sink);
  } else if (path == "/v1/feedback" || path == "/feedback") {
    if (post) {
      co_await feedback(state, request, sink);
    } else {
      HeaderList allow{{"allow", "POST"}};
      const auto e = make_error(Errc::method_not_allowed, "use POST for " + path);
      co_await send_error(sink, e, std::move(allow));
    }
  } else if ((path == "/metrics" || path.starts_with("/dashboard")) && get && !may_observe(state, request)) {
    // Browsers answer a Basic challenge with any user name and the key as the password.
    HeaderList challenge{{"www-authenticate", "Basic realm=\"fulcrum\", charset=\"UTF-8\""}};
    const auto e = make_error(Errc::unauthorized, "/metrics and /dashboard need a gateway key or the admin key: send "
                                                  "\"Authorization: Bearer KEY\" (or Basic auth with the key as the password)");
    co_await send_error(sink, e, std::move(challenge));
  } else if ((path == "/dashboard" || path == "/dashboard/") && get && state.dashboard) {
    std::string page = state.dashboard->page();
    co_await sink.send(200, HeaderList{}, std::move(page), kHtml);
  } else if (path == "/dashboard/data.json" && get && state.dashboard) {
    std::string data = state.dashboard->json(unix_ms_now());
    HeaderList no_store{{"cache-control", "no-store"}};  // hoisted: no braced literals inside co_await (g++ 12)
    co_await sink.send(200, std::move(no_store), std::move(data), kJson);
  } else if (path == "/metrics" && get && state.metrics) {
    std::string text = state.metrics->prometheus_text();
    co_await sink.send(200, HeaderList{}, std::move(text), kPrometheus);
  } else {
    const auto e = make_error(Errc::not_found, "no route for " + clip_client_text(request.method) + " " + clip_client_text(path));
    co_await send_error(sink, e);
  }
}

}  // namespace fulcrum
