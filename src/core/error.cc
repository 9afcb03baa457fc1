#include "core/error.h"

namespace fulcrum {

bool is_retryable(const Error& e) {
  switch (e.code) {
    case Errc::upstream_unreachable:
    case Errc::upstream_timeout:
    case Errc::upstream_bad_response:
      return true;
    case Errc::upstream_status:
      return e.upstream_status == 429 || e.upstream_status >= 500;
    default:
      return false;
  }
}

}  // namespace fulcrum
