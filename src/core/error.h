#pragma once
// The one error vocabulary of the request path. Errors are values: every
// fallible request-path function returns Result<T> (result.h) carrying one
// of these. The single mapping to an HTTP status and an OpenAI error body is
// in openai/error_body.h.
#include <string>

namespace fulcrum {

enum class Errc {
  invalid_request,       // well-formed JSON that violates the API (400)
  invalid_json,          // body is not JSON (400)
  unknown_model,         // model names no tier, alias or "auto" (400)
  body_too_large,        // request body over the configured limit (413)
  not_found,             // unknown path (404)
  method_not_allowed,    // known path, wrong method (405)
  unsupported_encoding,  // a compressed request body (415)
  missing_api_key,       // provider's api_key_env is unset (401)
  upstream_unreachable,  // resolve/connect/TLS failed or connection dropped (502)
  upstream_timeout,      // a configured timeout expired (504)
  upstream_status,       // upstream answered non-2xx; body passed through
  upstream_bad_response, // upstream answered 2xx with an unusable body (502)
  client_closed,         // the client went away; nothing to answer
  unauthorized,          // missing or unknown gateway API key (401)
  rate_limited,          // a key's requests/min or tokens/min limit (429)
  budget_exceeded,       // a key's daily budget is spent (429)
  unavailable,           // a feature the config turned off, or a shared store that is down (503)
  internal,              // a bug in fulcrum (500)
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::string param;          // the request field at fault, if any
  int upstream_status = 0;    // for upstream_status: the status to pass through
  std::string upstream_body;  // for upstream_status: the body to pass through
  std::string upstream_content_type;
  // When the caller may try again (HTTP Retry-After, seconds): a limit's
  // reset, or what an upstream's 429/503 said. -1: unknown.
  int retry_after_s = -1;
};

inline Error make_error(Errc code, std::string message, std::string param = {}) {
  return Error{code, std::move(message), std::move(param), 0, {}, {}, -1};
}

// Whether a failed attempt may be retried (same tier) or fall back (next tier)
// while nothing has been sent to the client yet.
bool is_retryable(const Error& e);

}  // namespace fulcrum
