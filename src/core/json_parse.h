#pragma once
// Parses a JSON text with a parser kept per thread. boost::json::parse builds
// a parser, and grows its value stack from nothing, on every call: on the
// request path (each request body) that set-up was about a fifth of a small
// body's parse. The parser is reset onto the caller's storage each time, so
// the value belongs to the caller.
//
// A number too large for a double (1e999) is refused here, as
// error::exponent_overflow: Boost.JSON reads it as infinity and writes that
// back as `Infinity`, which is not JSON, so a body that passed through the
// gateway would reach the provider (or the client) broken.
#include <string>
#include <string_view>

#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

namespace fulcrum {

boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              boost::json::storage_ptr storage = {});

// What went wrong in a parse_json, in words a client can act on.
std::string describe_json_error(const boost::system::error_code& ec);

}  // namespace fulcrum
