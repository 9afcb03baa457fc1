#include "app/gateway_runtime.h"

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "http/server.h"
#include "proxy/gateway.h"

namespace fulcrum {

struct GatewayRuntime::Worker {
  net::io_context io{1};  // one thread per context: Asio can skip its locking
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
};

GatewayRuntime::GatewayRuntime(ConfigPtr config, GatewayServices services)
    : config_(std::move(config)), services_(services) {}

GatewayRuntime::~GatewayRuntime() { stop(); }

Status GatewayRuntime::start() {
  auto state = std::make_shared<GatewayState>();
  state->config = config_;
  state->credentials = Credentials::from_environment(*config_);
  state->stats = std::make_unique<TierStats>(*config_);
  auto router = build_router(config_, state->stats.get());
  if (!router) return std::move(router).error();
  state->router = std::move(router.value());
  state->health = std::make_unique<TierHealth>(*config_);
  state->observer = services_.observer;
  state->feedback = services_.feedback;
  state->metrics = services_.metrics;
  state->admission = services_.admission;
  state->cache = services_.cache;
  state->dashboard = services_.dashboard;

  for (std::size_t i = 0; i < config_->providers.size(); ++i) {
    if (!state->credentials.missing(i)) continue;
    std::string tiers;
    for (const auto& t : config_->tiers)
      if (t.provider_index == i) tiers += (tiers.empty() ? "" : ", ") + t.name;
    warnings_.push_back("provider " + config_->providers[i].name + ": environment variable " +
                        config_->providers[i].api_key_env + " is not set; requests to tiers " + tiers +
                        " will be answered 401 until it is set and fulcrum restarted");
  }

  int n = config_->threads > 0 ? config_->threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  std::shared_ptr<const GatewayState> shared = std::move(state);
  state_ = shared;
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->gateway = std::make_unique<Gateway>(shared, w->io.get_executor());
    ServerOptions so;
    so.address = config_->listen_address;
    so.port = i == 0 ? config_->listen_port : port_;  // port 0: the others join the first's port
    so.max_body_bytes = config_->max_body_bytes;
    w->server = std::make_unique<HttpServer>(w->io, so, *w->gateway);
    auto st = w->server->listen();
    if (!st) return st;
    port_ = w->server->port();
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    w->server->start();
    w->thread = std::thread([io = &w->io] { io->run(); });
  }
  return Ok{};
}

void GatewayRuntime::wait_for_signal() {
  net::io_context signals_io;
  net::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](boost::system::error_code, int) {});
  signals_io.run();
  const int left = drain(config_->shutdown_grace);
  if (left > 0) spdlog::warn("shutdown: {} requests still running after {} ms; closing them", left, config_->shutdown_grace.count());
}

int GatewayRuntime::in_flight() const { return state_ ? state_->in_flight.load() : 0; }

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
  workers_.clear();
}

}  // namespace fulcrum
