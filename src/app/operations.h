#pragma once
// The operational services a running gateway is wired with, built from the
// config: access log, metrics, the ledger (SQLite or PostgreSQL), the state store (local or
// Redis), keys/budgets/rate limits and the response cache. `fulcrum serve`
// and the integration tests build the same stack.
#include <memory>
#include <thread>

#include "app/access_log.h"
#include "app/gateway_runtime.h"
#include "config/config.h"
#include "core/result.h"
#include "ledger/ledger.h"
#include "metrics/metrics.h"
#include "state/admission.h"
#include "state/response_cache.h"
#include "telemetry/otlp_exporter.h"
#include "web/dashboard.h"

namespace fulcrum {

class Operations {
 public:
  // `extra` (may be null) also observes every request (tests).
  static Result<std::unique_ptr<Operations>> create(const ConfigPtr& config, RequestObserver* extra = nullptr);

  GatewayServices services();
  Ledger* ledger() { return ledger_.get(); }
  Metrics& metrics() { return *metrics_; }
  OtlpExporter* traces() { return traces_.get(); }

 private:
  ConfigPtr config_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<OtlpExporter> traces_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<StateStore> local_conversations_;  // in-process only: see GatewayServices::conversations
  StoreHealth store_health_;
  std::unique_ptr<DashboardData> dashboard_;
  std::jthread dashboard_refresh_;  // a shared ledger's: stopped before dashboard_ goes
  ObserverList observers_;
};

}  // namespace fulcrum
