#pragma once
// Fixed-size values in a model file's binary sections, in the machine's byte
// order (model files are built and read on the same kind of machine).
#include <istream>
#include <ostream>
#include <type_traits>

namespace fulcrum {

template <class T>
void write_pod(std::ostream& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
bool read_pod(std::istream& in, T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof v));
}

}  // namespace fulcrum
