#pragma once
// Writes one JSON line per finished request to stdout ("access" logger).
// Never includes prompt text, answers or keys.
//
// The line is formatted on the request's thread and written by a thread of its
// own (spdlog's async logger): a slow reader of stdout (a pipe to journald, a
// terminal) holds no event loop until 8,192 lines wait, and then the request
// threads wait for it rather than lose lines. Lines still queued when the
// process is killed (not stopped) are lost; the ledger has every request.
#include <string>

#include "accounting/request_record.h"

namespace fulcrum {

// The line for one request (no newline): request_id, model, tier, upstream_model, reason,
// stream, escalated, status, attempts, token counts, cost_usd, cost_estimated, ttfb_us,
// total_us, overhead_us and, for a failed request, error.
std::string format_access_line(const RequestRecord& record);

class AccessLog final : public RequestObserver {
 public:
  AccessLog();
  void on_request_done(const RequestRecord& record) override;
};

}  // namespace fulcrum
