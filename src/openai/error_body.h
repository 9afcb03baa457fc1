#pragma once
// The one table from Error to an HTTP status and an OpenAI error body
// {"error":{"message","type","param","code"}}.
#include <string>

#include "core/error.h"

namespace fulcrum {

struct HttpError {
  int status = 500;
  std::string content_type = "application/json";
  std::string body;
  int retry_after_s = -1;  // >= 0: send a Retry-After header
};

HttpError to_http_error(const Error& e);

// The OpenAI-format error JSON for an error (used in bodies and in a final SSE event).
std::string openai_error_json(const Error& e);

}  // namespace fulcrum
