#pragma once
// Writes one value into a config file in place, keeping everything else
// (comments, order, formatting) byte for byte: `fulcrum calibrate --write`.
#include <cstddef>
#include <string>

#include "core/result.h"

namespace fulcrum {

// Sets router.policies[policy].levels[level].at to `value`. The new text is
// validated as a whole config before it replaces the file (atomically, by
// rename), so a failure leaves the file as it was.
Status write_threshold_level(const std::string& path, std::size_t policy, std::size_t level, double value);

}  // namespace fulcrum
