#include "openai/error_body.h"

#include <boost/json.hpp>

namespace fulcrum {
namespace {

struct Mapping {
  int status;
  const char* type;
  const char* code;
};

Mapping mapping_for(Errc c) {
  switch (c) {
    case Errc::invalid_request: return {400, "invalid_request_error", "invalid_request"};
    case Errc::invalid_json: return {400, "invalid_request_error", "invalid_json"};
    case Errc::unknown_model: return {400, "invalid_request_error", "model_not_found"};
    case Errc::body_too_large: return {413, "invalid_request_error", "request_too_large"};
    case Errc::not_found: return {404, "invalid_request_error", "not_found"};
    case Errc::method_not_allowed: return {405, "invalid_request_error", "method_not_allowed"};
    case Errc::unsupported_encoding: return {415, "invalid_request_error", "unsupported_content_encoding"};
    case Errc::missing_api_key: return {401, "authentication_error", "missing_upstream_api_key"};
    case Errc::upstream_unreachable: return {502, "upstream_error", "upstream_unreachable"};
    case Errc::upstream_timeout: return {504, "upstream_error", "upstream_timeout"};
    case Errc::upstream_status: return {502, "upstream_error", "upstream_error"};
    case Errc::upstream_bad_response: return {502, "upstream_error", "upstream_bad_response"};
    case Errc::client_closed: return {499, "invalid_request_error", "client_closed"};
    case Errc::unauthorized: return {401, "invalid_request_error", "invalid_api_key"};
    case Errc::rate_limited: return {429, "rate_limit_error", "rate_limit_exceeded"};
    case Errc::budget_exceeded: return {429, "insufficient_quota", "budget_exceeded"};
    case Errc::unavailable: return {503, "server_error", "service_unavailable"};
    case Errc::internal: return {500, "server_error", "internal_error"};
  }
  return {500, "server_error", "internal_error"};
}

}  // namespace

std::string openai_error_json(const Error& e) {
  const auto m = mapping_for(e.code);
  boost::json::object err;
  err["message"] = e.message;
  err["type"] = m.type;
  err["param"] = e.param.empty() ? boost::json::value(nullptr) : boost::json::value(e.param);
  err["code"] = m.code;
  boost::json::object root;
  root["error"] = std::move(err);
  return boost::json::serialize(root);
}

HttpError to_http_error(const Error& e) {
  // An upstream's own error (4xx, or 5xx after retries) is passed through as it
  // came: status and body, so clients see the provider's message and code.
  if (e.code == Errc::upstream_status && e.upstream_status >= 400 && !e.upstream_body.empty()) {
    return HttpError{e.upstream_status,
                     e.upstream_content_type.empty() ? "application/json" : e.upstream_content_type,
                     e.upstream_body, e.retry_after_s};
  }
  HttpError out;
  out.status = e.code == Errc::upstream_status && e.upstream_status >= 400 ? e.upstream_status
                                                                           : mapping_for(e.code).status;
  out.body = openai_error_json(e);
  out.retry_after_s = e.retry_after_s;
  return out;
}

}  // namespace fulcrum
