#include "app/operations.h"

#include <cstdlib>

#include "core/clock.h"

namespace fulcrum {

namespace {
// Conversations router.sticky remembers in-process (the oldest are forgotten first).
constexpr std::size_t kLocalConversations = 100000;
}  // namespace

Result<std::unique_ptr<Operations>> Operations::create(const ConfigPtr& config, RequestObserver* extra) {
  auto ops = std::unique_ptr<Operations>(new Operations());
  ops->config_ = config;
  ops->metrics_ = std::make_unique<Metrics>(*config);
  if (!config->ledger.path.empty()) {
    auto opened = Ledger::open(LedgerOptions{config->ledger.path, config->ledger.queue, config->ledger.flush,
                                             config->ledger.max_size_mb * 1024 * 1024,
                                             config->ledger.capture_retention_days * 86400000});
    if (!opened) return std::move(opened).error();
    ops->ledger_ = std::move(opened.value());
    ops->metrics_->add_gauge("fulcrum_ledger_queue_depth", "Ledger records waiting to be written.",
                             [l = ops->ledger_.get()] { return static_cast<double>(l->queue_depth()); });
    ops->metrics_->add_counter("fulcrum_ledger_dropped_records_total", "Ledger records dropped because the queue was full.",
                             [l = ops->ledger_.get()] { return static_cast<double>(l->dropped()); });
    ops->metrics_->add_counter("fulcrum_ledger_write_errors_total",
                               "Ledger records the database refused (disk full, ledger.max_size_mb, I/O error).",
                               [l = ops->ledger_.get()] { return static_cast<double>(l->write_errors()); });
  }
  if (ops->ledger_) {
    ops->dashboard_ = std::make_unique<DashboardData>(*config);
    if (auto st = ops->dashboard_->seed(config->ledger.path, unix_ms_now()); !st) return std::move(st).error();
  }
  if (config->state.url == "local") {
    ops->store_ = make_local_store(config->cache.max_entries);
    ops->local_conversations_ = make_local_store(kLocalConversations);
  } else {
    std::string password;
    if (!config->state.password_env.empty()) {
      const char* v = std::getenv(config->state.password_env.c_str());
      if (!v || !*v)
        return make_error(Errc::invalid_request, "state.password_env: the environment variable " +
                                                     config->state.password_env + " is not set");
      password = v;
    }
    auto redis = make_redis_store(config->state.url, config->state.timeout, config->state.retry_after, password);
    if (!redis) return std::move(redis).error();
    ops->store_ = std::move(redis.value());
  }
  ops->metrics_->add_counter("fulcrum_state_store_errors_total", "Failed calls to the state store (budgets, limits, cache).",
                           [h = &ops->store_health_] { return static_cast<double>(h->errors.load()); });
  ops->metrics_->add_gauge("fulcrum_state_store_up", "1 while the state store answers, 0 after a failure.",
                           [h = &ops->store_health_] { return h->down.load() ? 0.0 : 1.0; });
  if (config->log.access_log) {
    ops->access_log_ = std::make_unique<AccessLog>();
    ops->observers_.add(ops->access_log_.get());
  }
  ops->observers_.add(ops->ledger_.get());
  ops->observers_.add(ops->metrics_.get());
  ops->observers_.add(ops->dashboard_.get());
  ops->observers_.add(extra);
  return ops;
}

GatewayServices Operations::services() {
  return GatewayServices{&observers_,    ledger_.get(),    metrics_.get(), store_.get(),
                         &store_health_, dashboard_.get(),
                         local_conversations_ ? local_conversations_.get() : store_.get()};
}

}  // namespace fulcrum
