#pragma once
// The proxy's one way to an upstream: start a call, get its answer's head,
// then read the body whole or as it arrives (UpstreamResponse), or abort it.
// The pooled HTTP/1.1 client implements it (upstream_client.h); tests use an
// in-memory one. No networking-library type beyond the coroutine's awaitable.
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "config/config.h"
#include "core/abort_handle.h"
#include "core/result.h"
#include "http/upstream_response.h"

namespace fulcrum {

struct UpstreamRequest {
  std::string target;       // path, e.g. "/v1/chat/completions"
  std::string body;
  std::string bearer;       // API key; empty sends no Authorization header
  bool expect_event_stream = false;
  std::string extra_headers;  // whole header lines, each ending "\r\n" (trace context)
};

class Upstream {
 public:
  virtual ~Upstream() = default;
  // Sends the request and waits for the answer's head, within the provider's
  // timeouts. Aborting `abort` (which must outlive the answer) ends the call
  // and any read of its answer with Errc::client_closed.
  virtual boost::asio::awaitable<Result<std::unique_ptr<UpstreamResponse>>> start(const Provider& provider,
                                                                                  const UpstreamRequest& request,
                                                                                  AbortHandle& abort) = 0;
};

}  // namespace fulcrum
