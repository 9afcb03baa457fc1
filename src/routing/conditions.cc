#include "routing/conditions.h"

#include "routing/policy.h"

namespace fulcrum {
namespace {

const char* op_text(CompareOp op) {
  switch (op) {
    case CompareOp::eq: return "=";
    case CompareOp::ne: return "!=";
    case CompareOp::gt: return ">";
    case CompareOp::gte: return ">=";
    case CompareOp::lt: return "<";
    case CompareOp::lte: return "<=";
    case CompareOp::in: return "in";
  }
  return "?";
}

// Appends "feature value op operand" to `why` when the condition holds.
bool holds(const Condition& c, const RequestFeatures& f, std::string& why) {
  const auto name = feature_name(c.feature);
  if (is_text_feature(c.feature)) {
    const auto value = f.text(c.feature);
    bool match = false;
    for (const auto& s : c.strings) match = match || value == s;
    const bool ok = c.op == CompareOp::ne ? !match : match;
    if (ok)
      why.append(name).append(" ").append(value).append(c.op == CompareOp::ne ? " != " : " in ")
          .append(c.strings.front()).append(c.strings.size() > 1 ? ",..." : "");
    return ok;
  }
  const auto v = f.number(c.feature);
  if (!v) return false;
  bool ok = false;
  switch (c.op) {
    case CompareOp::eq: ok = *v == c.number; break;
    case CompareOp::ne: ok = *v != c.number; break;
    case CompareOp::gt: ok = *v > c.number; break;
    case CompareOp::gte: ok = *v >= c.number; break;
    case CompareOp::lt: ok = *v < c.number; break;
    case CompareOp::lte: ok = *v <= c.number; break;
    case CompareOp::in: ok = false; break;
  }
  if (ok) why.append(name).append(" ").append(fmt(*v)).append(" ").append(op_text(c.op)).append(" ").append(fmt(c.number));
  return ok;
}

}  // namespace

bool all_hold(const std::vector<Condition>& conditions, const RequestFeatures& f, std::string& why) {
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    if (i > 0) why += " and ";
    if (!holds(conditions[i], f, why)) return false;
  }
  return true;
}

}  // namespace fulcrum
