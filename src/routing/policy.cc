#include "routing/policy.h"

#include <cstdio>

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
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace fulcrum
