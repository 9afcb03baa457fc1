#include "app/gateway_runtime.h"

#include <csignal>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "http/server.h"
#include "http/timer_anchor.h"
#include "proxy/gateway.h"
#include "web/dashboard.h"

namespace fulcrum {

struct GatewayRuntime::Worker {
  net::io_context io{1};  // one thread per context: Asio can skip its locking
  TimerAnchor anchor{io.get_executor()};
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
};

GatewayRuntime::GatewayRuntime(ConfigPtr config, GatewayServices services)
    : config_(std::move(config)), services_(services) {}

GatewayRuntime::~GatewayRuntime() { stop(); }

namespace {

// Everything a request reads, built from one config.
Result<std::shared_ptr<const GatewayState>> build_state(const ConfigPtr& config, const GatewayServices& services,
                                                        boost::asio::thread_pool* store_calls,
                                                        std::vector<std::string>& warnings) {
  auto state = std::make_shared<GatewayState>();
  if (store_calls) state->store_calls = store_calls->get_executor();
  state->config = config;
  state->credentials = Credentials::from_environment(*config);
  state->stats = std::make_unique<TierStats>(*config);
  auto router = build_router(config, state->stats.get());
  if (!router) return std::move(router).error();
  state->router = std::move(router.value());
  state->health = std::make_unique<TierHealth>(*config);
  state->observer = services.observer;
  state->feedback = services.feedback;
  state->metrics = services.metrics;
  state->dashboard = services.dashboard;
  if (services.store) {
    if (!config->keys.empty())
      state->admission = std::make_unique<Admission>(*config, *services.store, *services.store_health);
    if (config->cache.mode != CacheConfig::Mode::off)
      state->cache = std::make_unique<ResponseCache>(config->cache, *services.store);
  }
  if (services.conversations && config->router.sticky != StickyMode::off)
    state->sticky = std::make_unique<StickyRoutes>(config->router.sticky, config->router.sticky_ttl, *services.conversations);
  for (std::size_t i = 0; i < config->providers.size(); ++i) {
    if (!state->credentials.missing(i)) continue;
    std::string tiers;
    for (const auto& t : config->tiers)
      if (t.provider_index == i) tiers += (tiers.empty() ? "" : ", ") + t.name;
    warnings.push_back("provider " + config->providers[i].name + ": environment variable " +
                       config->providers[i].api_key_env + " is not set; requests to tiers " + tiers +
                       " will be answered 401 until it is set and fulcrum restarted");
  }
  return std::shared_ptr<const GatewayState>(std::move(state));
}

}  // namespace

Status GatewayRuntime::start() {
  // A write to a socket the peer has closed must be an error value, not a
  // process-killing signal (Asio sends with MSG_NOSIGNAL; OpenSSL and the
  // Redis client may not).
  std::signal(SIGPIPE, SIG_IGN);
  if (!config_->listen_shared && listen_address_taken(config_->listen_address, config_->listen_port))
    return make_error(Errc::internal, "cannot listen on " + config_->listen_address + ":" +
                                          std::to_string(config_->listen_port) +
                                          ": another process (another fulcrum?) is listening there; stop it, pick "
                                          "another port, or set listen_shared: true to share the port on purpose");
  // A remote store's calls block their thread for a network round trip: they
  // run here, several at once, never on an event loop.
  const bool remote_store = (services_.store && services_.store->remote()) ||
                            (services_.conversations && services_.conversations->remote());
  if (remote_store) store_calls_ = std::make_unique<boost::asio::thread_pool>(kStoreCallThreads);
  auto state = build_state(config_, services_, store_calls_.get(), warnings_);
  if (!state) return std::move(state).error();
  slot_ = std::make_shared<GatewayStateSlot>(std::move(state.value()));

  // One thread for the calls that may wait on the ledger's database: they are
  // rare (feedback), and the ledger runs one such query at a time anyway.
  lookups_ = std::make_unique<boost::asio::thread_pool>(1);
  int n = config_->threads > 0 ? config_->threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->gateway = std::make_unique<Gateway>(slot_, w->io.get_executor(), lookups_->get_executor());
    ServerOptions so;
    so.address = config_->listen_address;
    so.port = i == 0 ? config_->listen_port : port_;  // port 0: the others join the first's port
    so.max_body_bytes = config_->max_body_bytes;
    so.write_timeout = config_->clients.write_timeout;
    so.idle_timeout = config_->clients.idle_timeout;
    so.read_timeout = config_->clients.read_timeout;
    // The kernel spreads connections over the workers (SO_REUSEPORT): each takes its share of the cap.
    so.max_connections = std::max<std::size_t>(1, (config_->clients.max_connections + n - 1) / static_cast<std::size_t>(n));
    w->server = std::make_unique<HttpServer>(w->io, so, *w->gateway);
    auto st = w->server->listen();
    if (!st) return st;
    port_ = w->server->port();
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    w->server->start();
    w->anchor.start();
    w->thread = std::thread([io = &w->io] { io->run(); });
  }
  return Ok{};
}

Status GatewayRuntime::reload(ConfigPtr config) {
  if (config->listen_address != config_->listen_address || config->listen_port != config_->listen_port)
    spdlog::warn("reload: listen address changes need a restart; still listening on {}:{}", config_->listen_address,
                 port_);
  std::vector<std::string> warnings;
  auto state = build_state(config, services_, store_calls_.get(), warnings);
  if (!state) return std::move(state).error();
  for (const auto& w : warnings) spdlog::warn("{}", w);
  slot_->set(std::move(state.value()));
  config_ = std::move(config);
  return Ok{};
}

void GatewayRuntime::wait_for_signal(const std::function<void()>& on_reload) {
  net::io_context signals_io;
  net::signal_set signals(signals_io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int signal) {
    if (!ec && signal == SIGHUP) {
      if (on_reload) on_reload();
      signals.async_wait(on_signal);
    }
  };
  signals.async_wait(on_signal);
  signals_io.run();
  const int left = drain(config_->shutdown_grace);
  if (left > 0) spdlog::warn("shutdown: {} requests still running after {} ms; closing them", left, config_->shutdown_grace.count());
}

int GatewayRuntime::in_flight() const { return slot_ ? slot_->in_flight.load() : 0; }

int GatewayRuntime::drain(std::chrono::milliseconds grace) {
  for (auto& w : workers_) net::post(w->io, [s = w->server.get()] { s->stop_accepting(); });
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int left = in_flight();
  stop();
  return left;
}

void GatewayRuntime::stop() {
  for (auto& w : workers_) {
    net::post(w->io, [s = w->server.get()] { s->stop_accepting(); });
    w->io.stop();
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  // Lookups still running finish (each within the database's own timeouts)
  // before the event loops their answers are posted to go away.
  if (lookups_) lookups_->join();
  if (store_calls_) store_calls_->join();
  workers_.clear();
  lookups_.reset();
  store_calls_.reset();
}

}  // namespace fulcrum
