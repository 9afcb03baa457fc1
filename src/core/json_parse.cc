#include "core/json_parse.h"

namespace fulcrum {

boost::json::value parse_json(std::string_view text, boost::system::error_code& ec, boost::json::storage_ptr storage) {
  // Not re-entered: nothing a parse calls parses again.
  thread_local boost::json::parser parser;
  parser.reset(std::move(storage));
  parser.write(text.data(), text.size(), ec);
  if (ec) {
    parser.reset();  // drop the partial value now, not at the next parse
    return nullptr;
  }
  return parser.release();
}

}  // namespace fulcrum
