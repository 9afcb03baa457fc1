#pragma once
// Hashes that are the same on every machine and run: a request id's place in
// a weighted split, in the gateway and in `fulcrum simulate` alike.
#include <cstdint>
#include <string_view>

namespace fulcrum {

// splitmix64's finalizer: spreads nearby inputs over all 64 bits.
inline std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

// FNV-1a over the bytes, then mix64.
inline std::uint64_t stable_hash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return mix64(h);
}

// The hash as a point in [0, 1).
inline double unit_interval(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace fulcrum
