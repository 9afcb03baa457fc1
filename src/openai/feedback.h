#pragma once
// POST /v1/feedback body: {"request_id": "...", "score": 0..1 | "success": bool,
// "error_cost_usd"?: number >= 0}. Errors name the field (OpenAI `param`).
#include <string_view>

#include "core/result.h"
#include "accounting/request_record.h"

namespace fulcrum {

// The largest error_cost_usd one verdict may claim: one client's feedback
// must not swing the break-even verdict and the dashboard for everyone.
inline constexpr long kMaxFeedbackErrorCostUsd = 1000000;

Result<FeedbackRecord> parse_feedback(std::string_view body);

}  // namespace fulcrum
