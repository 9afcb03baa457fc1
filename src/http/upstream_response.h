#pragma once
// An upstream's answer as the proxy reads it: status, head, and the body whole
// or as it arrives. The HTTP client's call implements it; a provider adapter
// may wrap one to present another wire format's answer in OpenAI's form.
// No networking-library type beyond the coroutine's awaitable.
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"

namespace fulcrum {

class UpstreamResponse {
 public:
  virtual ~UpstreamResponse() = default;
  virtual int status() const = 0;
  virtual std::string_view header(std::string_view name) const = 0;
  virtual bool is_event_stream() const = 0;
  // Reads the rest of the body (at most `limit` bytes).
  virtual boost::asio::awaitable<Result<std::string>> read_body(std::size_t limit) = 0;
  // Appends the next bytes of the body to `out`; returns whether more may follow.
  virtual boost::asio::awaitable<Result<bool>> read_some(std::string& out) = 0;
  // Closes the connection; pending reads complete with Errc::client_closed.
  virtual void abort() = 0;
};

}  // namespace fulcrum
