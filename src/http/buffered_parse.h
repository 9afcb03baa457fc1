#pragma once
// Feeds a Beast parser the bytes already in its buffer, without I/O.
//
// A small request's body (or an upstream's whole answer) usually arrives in the
// same read as its head. Beast's async_read on a buffer that already holds the
// rest still completes through the event loop (a post, then one more pass of
// epoll); parsing those bytes here first saves that trip on most requests.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace fulcrum {

// Parses until the message is done, the buffer runs out, or an error (left in
// `ec`; running out is not one). True when the message is done.
template <bool isRequest>
bool parse_buffered(boost::beast::http::basic_parser<isRequest>& parser, boost::beast::flat_buffer& buffer,
                    boost::system::error_code& ec) {
  ec = {};
  while (!parser.is_done() && buffer.size() != 0) {
    const auto used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
  }
  return parser.is_done();
}

}  // namespace fulcrum
