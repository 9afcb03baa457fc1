#include "core/json_parse.h"

#include <cmath>

#include <boost/json/error.hpp>

namespace fulcrum {
namespace {

// Depth is bounded by the parser's max_depth (32), so recursion is safe.
bool holds_non_finite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return !std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array())
        if (holds_non_finite(e)) return true;
      return false;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object())
        if (holds_non_finite(kv.value())) return true;
      return false;
    default:
      return false;
  }
}

}  // namespace

boost::json::value parse_json(std::string_view text, boost::system::error_code& ec, boost::json::storage_ptr storage) {
  // Not re-entered: nothing a parse calls parses again.
  thread_local boost::json::parser parser;
  parser.reset(std::move(storage));
  parser.write(text.data(), text.size(), ec);
  if (ec) {
    parser.reset();  // drop the partial value now, not at the next parse
    return nullptr;
  }
  boost::json::value v = parser.release();
  if (holds_non_finite(v)) {
    ec = boost::json::error::exponent_overflow;
    return nullptr;
  }
  return v;
}

std::string describe_json_error(const boost::system::error_code& ec) {
  if (ec == boost::json::error::exponent_overflow) return "a number is too large to represent (beyond 1.8e308)";
  return ec.message();
}

}  // namespace fulcrum
