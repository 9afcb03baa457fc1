#include "app/operations.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include <spdlog/spdlog.h>

#include "app/ledger_command.h"
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
    auto where = configured_ledger(config->ledger);
    if (!where) return std::move(where).error();
    LedgerOptions options;
    options.where = std::move(where.value());
    options.queue_capacity = config->ledger.queue;
    options.flush_interval = config->ledger.flush;
    options.max_bytes = config->ledger.max_size_mb * 1024 * 1024;
    options.prompt_retention_ms = config->ledger.capture_retention_days * 86400000;
    auto opened = Ledger::open(options);
    if (!opened) return std::move(opened).error();
    ops->ledger_ = std::move(opened.value());
    auto* l = ops->ledger_.get();
    ops->metrics_->add_gauge("fulcrum_ledger_queue_depth", "Ledger records waiting to be written.",
                             [l] { return static_cast<double>(l->queue_depth()); });
    ops->metrics_->add_counter("fulcrum_ledger_dropped_records_total", "Ledger records dropped because the queue was full.",
                               [l] { return static_cast<double>(l->dropped()); });
    ops->metrics_->add_counter("fulcrum_ledger_write_errors_total",
                               "Ledger records lost: refused by the database (disk full, ledger.max_size_mb, a bad "
                               "value) or still unwritten at shutdown with the database away.",
                               [l] { return static_cast<double>(l->write_errors()); });
    ops->metrics_->add_gauge("fulcrum_ledger_up", "1 while the ledger's database takes writes, 0 while it cannot be reached.",
                             [l] { return l->available() ? 1.0 : 0.0; });
    ops->metrics_->add_counter("fulcrum_ledger_retries_total",
                               "Ledger batches sent again because the database could not be reached.",
                               [l] { return static_cast<double>(l->retries()); });
    ops->dashboard_ = std::make_unique<DashboardData>(*config);
    if (!l->location().postgres()) {
      if (auto st = ops->dashboard_->seed(l->location(), unix_ms_now()); !st) return std::move(st).error();
    } else {
      // A shared ledger: the dashboard shows every replica's traffic, read off the request path.
      if (auto st = ops->dashboard_->follow(l->location(), unix_ms_now()); !st) return std::move(st).error();
      ops->dashboard_refresh_ = std::jthread([dashboard = ops->dashboard_.get(), where = l->location(),
                                              every = config->ledger.dashboard_refresh](std::stop_token stop) {
        std::mutex mu;
        std::condition_variable_any cv;
        bool failing = false;
        for (;;) {
          std::unique_lock lock(mu);
          if (cv.wait_for(lock, stop, every, [] { return false; }) || stop.stop_requested()) return;
          auto st = dashboard->follow(where, unix_ms_now());
          if (!st && !failing) spdlog::warn("dashboard: {}; showing the last figures read", st.error().message);
          failing = !st;
        }
      });
    }
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
  if (const auto& traces = config->observability.traces; traces.enabled()) {
    auto exporter = OtlpExporter::create(traces);
    if (!exporter) return std::move(exporter).error();
    ops->traces_ = std::move(exporter.value());
    auto* t = ops->traces_.get();
    ops->metrics_->add_counter("fulcrum_trace_spans_exported_total", "Spans the OTLP collector accepted.",
                               [t] { return static_cast<double>(t->exported()); });
    ops->metrics_->add_counter("fulcrum_trace_spans_dropped_total",
                               "Spans dropped: the export queue was full or the collector failed.",
                               [t] { return static_cast<double>(t->dropped()); });
    ops->metrics_->add_counter("fulcrum_trace_export_errors_total", "Failed exports to the OTLP collector.",
                               [t] { return static_cast<double>(t->export_errors()); });
  }
  if (config->log.access_log) {
    ops->access_log_ = std::make_unique<AccessLog>();
    ops->observers_.add(ops->access_log_.get());
  }
  ops->observers_.add(ops->ledger_.get());
  ops->observers_.add(ops->metrics_.get());
  ops->observers_.add(ops->dashboard_.get());
  ops->observers_.add(ops->traces_.get());
  ops->observers_.add(extra);
  return ops;
}

GatewayServices Operations::services() {
  return GatewayServices{&observers_,    ledger_.get(),    metrics_.get(), store_.get(),
                         &store_health_, dashboard_.get(),
                         local_conversations_ ? local_conversations_.get() : store_.get()};
}

}  // namespace fulcrum
