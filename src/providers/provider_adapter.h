#pragma once
// One per wire format a provider may speak: how a chat completions body
// (fulcrum's internal form of every request) becomes that provider's
// request, and how its answer is read back in chat completion form. The
// proxy asks adapter_for(provider) and never looks at the format itself.
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"
#include "http/upstream_client.h"
#include "http/upstream_response.h"

namespace fulcrum {

class ProviderAdapter {
 public:
  virtual ~ProviderAdapter() = default;
  // The request for `chat_body` (already built for the tier). `key` may be empty (no credentials sent);
  // `max_output_tokens` is the tier's (0: none set), for formats that require a limit.
  virtual Result<UpstreamRequest> encode(const Provider& provider, const std::string& chat_body, const std::string& key,
                                         std::int64_t max_output_tokens) const = 0;
  // The provider's 2xx answer, read as a chat completion (whole) or chunks (stream).
  virtual std::unique_ptr<UpstreamResponse> decode(std::unique_ptr<UpstreamResponse> answer) const = 0;
  // The provider's error body as an OpenAI client reads one ({"error": {"message", "type", ...}}).
  virtual std::string error_body(std::string body) const { return body; }
};

const ProviderAdapter& adapter_for(const Provider& provider);

}  // namespace fulcrum
