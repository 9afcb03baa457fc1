#pragma once
// Parses a JSON text with a parser kept per thread. boost::json::parse builds
// a parser, and grows its value stack from nothing, on every call: on the
// request path (each request body) that set-up was about a fifth of a small
// body's parse. The parser is reset onto the caller's storage each time, so
// the value belongs to the caller.
#include <string_view>

#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

namespace fulcrum {

boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              boost::json::storage_ptr storage = {});

}  // namespace fulcrum
