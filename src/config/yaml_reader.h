#pragma once
// Walks a YAML tree collecting every error with its file, line, column and
// YAML path. Used by the config loaders (start-up and reload only).
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/money.h"

namespace fulcrum {

// Collects errors with file/line/path context while walking the YAML tree.
class Reader {
 public:
  Reader(std::string source, std::vector<std::string>& errors)
      : source_(std::move(source)), errors_(errors) {}

  void error(const YAML::Node& at, const std::string& path, const std::string& why) {
    std::ostringstream os;
    os << source_;
    if (at.IsDefined() && at.Mark().line >= 0)
      os << ':' << at.Mark().line + 1 << ':' << at.Mark().column + 1;
    os << ": " << (path.empty() ? std::string("(top level)") : path) << ": " << why;
    errors_.push_back(os.str());
  }

  // Reports keys of `map` that are not in `allowed` (typos would otherwise be silently ignored).
  void check_keys(const YAML::Node& map, const std::string& path, std::set<std::string> allowed) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      auto key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        error(kv.first, join(path, key), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  bool expect_map(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    error(n, path, "expected a mapping");
    return false;
  }

  std::optional<std::string> string(const YAML::Node& parent, const std::string& key,
                                    const std::string& path, bool required) {
    auto n = parent[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(parent, join(path, key), "is required");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      error(n, join(path, key), "expected a string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<long long> integer(const YAML::Node& parent, const std::string& key,
                                   const std::string& path, long long min, long long max) {
    auto n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) {
      error(n, join(path, key), "expected an integer");
      return std::nullopt;
    }
    if (v < min || v > max) {
      error(n, join(path, key),
            "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> number(const YAML::Node& parent, const std::string& key, const std::string& path,
                               double min, double max, bool required = false) {
    auto n = parent[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(parent, join(path, key), "is required");
      return std::nullopt;
    }
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) {
      error(n, join(path, key), "expected a number");
      return std::nullopt;
    }
    if (v < min || v > max) {
      std::ostringstream os;
      os << "must be between " << min << " and " << max;
      error(n, join(path, key), os.str());
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(const YAML::Node& parent, const std::string& key, const std::string& path) {
    auto n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      error(n, join(path, key), "expected true or false");
      return std::nullopt;
    }
    return v;
  }

  std::optional<MicroUsdPerMTok> price(const YAML::Node& parent, const std::string& key,
                                       const std::string& path, bool required) {
    auto n = parent[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) error(parent, join(path, key), "is required (USD per 1M tokens)");
      return std::nullopt;
    }
    std::optional<MicroUsdPerMTok> v;
    if (n.IsScalar()) v = parse_price_per_mtok(n.Scalar());
    if (!v) {
      error(n, join(path, key), "expected a non-negative USD amount per 1M tokens with at most 6 decimals");
    } else if (*v > kMaxPricePerMTok) {
      error(n, join(path, key), "is above the largest price fulcrum accepts, 1000 USD per 1M tokens");
      v.reset();
    }
    return v;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

 private:
  std::string source_;
  std::vector<std::string>& errors_;
};


}  // namespace fulcrum
