#pragma once
// Writes what a socket takes at once, without waiting.
//
// Most writes (a response, an upstream request) fit in the socket's send
// buffer: tried at once they need no timer, no suspension and no trip through
// the event loop, which a completed async_write costs. Only what does not fit
// is left for the caller to write asynchronously, under its timeout.
#include "http/asio.h"

namespace fulcrum {

// Moves `rest` past the bytes the socket took (the socket is made
// non-blocking); a full send buffer is not an error.
template <class Buffers>
boost::system::error_code write_now(tcp::socket& socket, beast::buffers_suffix<Buffers>& rest) {
  boost::system::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (!ec) rest.consume(socket.write_some(rest, ec));
  if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
  return ec;
}

}  // namespace fulcrum
