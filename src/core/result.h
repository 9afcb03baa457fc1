#pragma once
// Result<T>: a value or an Error, without exceptions. Deliberately tiny:
// has_value(), value(), error(), and explicit construction from either side.
#include <cassert>
#include <utility>
#include <variant>

#include "core/error.h"

namespace fulcrum {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { assert(has_value()); return *std::get_if<0>(&v_); }
  const T& value() const& { assert(has_value()); return *std::get_if<0>(&v_); }
  T&& value() && { assert(has_value()); return std::move(*std::get_if<0>(&v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const& { assert(!has_value()); return *std::get_if<1>(&v_); }
  Error&& error() && { assert(!has_value()); return std::move(*std::get_if<1>(&v_)); }

 private:
  std::variant<T, Error> v_;
};

// For operations with nothing to return.
struct Ok {};
using Status = Result<Ok>;

}  // namespace fulcrum
