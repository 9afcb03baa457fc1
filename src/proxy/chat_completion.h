#pragma once
// POST /v1/chat/completions: parse, pick the tier (explicit name or router),
// forward with retries, fallbacks and cooldowns, relay the answer (whole or
// as SSE), account its cost, and report the request to the observer.
#include "http/exchange.h"
#include "http/upstream.h"
#include "proxy/gateway.h"

namespace fulcrum {

Task<void> serve_chat_completion(const GatewayState& state, Upstream& upstream,
                                 const HttpRequest& request, ResponseSink& sink);

}  // namespace fulcrum
