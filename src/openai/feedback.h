#pragma once
// POST /v1/feedback body: {"request_id": "...", "score": 0..1 | "success": bool,
// "error_cost_usd"?: number >= 0}. Errors name the field (OpenAI `param`).
#include <string_view>

#include "core/result.h"
#include "proxy/request_record.h"

namespace fulcrum {

Result<FeedbackRecord> parse_feedback(std::string_view body);

}  // namespace fulcrum
