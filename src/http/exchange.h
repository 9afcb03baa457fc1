#pragma once
// What a request handler sees of an HTTP exchange: the request as plain
// views and a sink to answer into. Handlers never touch Beast types.
//
// Threading: one exchange lives on one worker thread's event loop; nothing
// here is thread-safe and nothing needs to be.
// Ownership: the HttpRequest views and the sink are owned by the server
// session and stay valid until the handler's coroutine completes.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace fulcrum {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string_view method;
  std::string_view target;  // path and query as received
  std::string_view body;
  // Header lookup, case-insensitive; empty when absent.
  std::function<std::string_view(std::string_view)> header;
};

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;

  // A complete response. Returns false when the client is gone.
  virtual boost::asio::awaitable<bool> send(int status, HeaderList headers, std::string body,
                                            std::string_view content_type) = 0;

  // A streamed (chunked) response: head first, then bytes as they come, then
  // the end (with the last bytes, if any, in the same write). The head may be
  // held back until it can go out with the first bytes.
  virtual boost::asio::awaitable<bool> begin_stream(int status, HeaderList headers,
                                                    std::string_view content_type) = 0;
  virtual boost::asio::awaitable<bool> write(std::string_view bytes) = 0;
  virtual boost::asio::awaitable<bool> end_stream(std::string_view last_bytes) = 0;

  // Whether a response was begun (after that, errors cannot change the status).
  virtual bool started() const = 0;

  // Calls `on_close` once if the client disconnects before stop_watching() is
  // called. Used to cancel the upstream request of a client that went away.
  virtual void watch_client_close(std::function<void()> on_close) = 0;
  virtual void stop_watching() = 0;

  // Why the client is gone, for the ledger: it closed the connection, or the
  // gateway cut it off (it took nothing for the write timeout).
  virtual std::string why_gone() const { return "the client closed the connection"; }
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Must answer through `sink` (or find the client gone). Must not throw.
  virtual boost::asio::awaitable<void> handle(const HttpRequest& request, ResponseSink& sink) = 0;
  // Answers a request the server could not read whole (e.g. body over the limit).
  virtual std::pair<int, std::string> reject(int status, std::string_view why) = 0;
};

}  // namespace fulcrum
