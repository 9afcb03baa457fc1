#include "routing/policy.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace fulcrum {

std::unique_ptr<Policy> make_policy(const PolicyConfig& p, const Config& c) {
  switch (p.type) {
    case PolicyConfig::Type::rules: return make_rules_policy(p, c);
    case PolicyConfig::Type::split: return make_split_policy(p, c);
    case PolicyConfig::Type::threshold: return make_threshold_policy(p, c);
    case PolicyConfig::Type::expected_cost: return make_expected_cost_policy(p, c);
    case PolicyConfig::Type::cascade: return make_cascade_policy(p, c);
  }
  return nullptr;
}

std::string fmt(double v, int digits) {
  // to_chars prints what "%.*f" does, several times faster: reasons are
  // written on every routing decision.
  // (The largest double has 309 digits before the point.)
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, std::clamp(digits, 0, 17));
  if (ec != std::errc()) return "?";
  std::string_view s(buf, static_cast<std::size_t>(end - buf));
  if (s.find('.') != std::string_view::npos) {
    while (s.back() == '0') s.remove_suffix(1);
    if (s.back() == '.') s.remove_suffix(1);
  }
  return std::string(s);
}

}  // namespace fulcrum
