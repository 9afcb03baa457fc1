#pragma once
// Writes one JSON line per finished request (spdlog, "access" logger on stdout).
// Never includes prompt text, answers or keys.
#include "accounting/request_record.h"

namespace fulcrum {

class AccessLog final : public RequestObserver {
 public:
  AccessLog();
  void on_request_done(const RequestRecord& record) override;
};

}  // namespace fulcrum
