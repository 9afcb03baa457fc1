#include "config/load_router.h"

#include <algorithm>
#include <array>

#include "core/task_kinds.h"

namespace fulcrum {
namespace {

constexpr std::array<std::pair<FeatureId, std::string_view>, 15> kFeatures{{
    {FeatureId::task, "task"}, {FeatureId::domain, "domain"}, {FeatureId::domain_risk, "domain_risk"},
    {FeatureId::complexity, "complexity"}, {FeatureId::score, "score"}, {FeatureId::p_weak, "p_weak"},
    {FeatureId::p_strong, "p_strong"}, {FeatureId::error_cost_usd, "error_cost_usd"},
    {FeatureId::latency_budget_ms, "latency_budget_ms"}, {FeatureId::budget_usd, "budget_usd"},
    {FeatureId::prompt_tokens, "prompt_tokens"}, {FeatureId::message_count, "message_count"},
    {FeatureId::has_code, "has_code"}, {FeatureId::has_math, "has_math"}, {FeatureId::task_kind, "task_kind"},
}};

std::string feature_list() {
  std::string out;
  for (const auto& [id, name] : kFeatures) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::optional<std::size_t> tier_ref(Reader& r, const Config& cfg, const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined() || !n.IsScalar()) {
    r.error(n.IsDefined() ? n : YAML::Node(), path, "expected a tier name");
    return std::nullopt;
  }
  auto idx = cfg.tier_index(n.Scalar());
  if (!idx) r.error(n, path, "names no tier \"" + n.Scalar() + "\"");
  return idx;
}

// `when: {feature: value | [values] | {gt: 5, lte: 9, in: [...]}}`
void read_conditions(Reader& r, const YAML::Node& when, const std::string& path, std::vector<Condition>& out) {
  if (!r.expect_map(when, path)) return;
  for (const auto& kv : when) {
    const auto name = kv.first.Scalar();
    const auto fpath = path + "." + name;
    auto feature = feature_by_name(name);
    if (!feature) {
      r.error(kv.first, fpath, "unknown feature (expected one of: " + feature_list() + ")");
      continue;
    }
    const bool text = is_text_feature(*feature);
    auto add_value = [&](CompareOp op, const YAML::Node& v, const std::string& vpath) {
      Condition c;
      c.feature = *feature;
      c.op = op;
      if (op == CompareOp::in) {
        if (!v.IsSequence() || v.size() == 0) {
          r.error(v, vpath, "expected a non-empty list");
          return;
        }
        for (const auto& item : v) c.strings.push_back(item.Scalar());
        if (!text) {
          r.error(v, vpath, "`in` applies to task, task_kind and domain only");
          return;
        }
      } else if (text) {
        if (op != CompareOp::eq && op != CompareOp::ne) {
          r.error(v, vpath, name + " is text: use eq, ne or in");
          return;
        }
        c.strings.push_back(v.Scalar());
      } else {
        double d = 0;
        bool b = false;
        if (v.IsScalar() && YAML::convert<double>::decode(v, d)) c.number = d;
        else if (v.IsScalar() && YAML::convert<bool>::decode(v, b)) c.number = b ? 1 : 0;
        else {
          r.error(v, vpath, "expected a number");
          return;
        }
      }
      // A kind the reader never gives would make the rule silently dead.
      if (c.feature == FeatureId::task_kind)
        for (const auto& s : c.strings)
          if (std::find(kTaskKinds.begin(), kTaskKinds.end(), s) == kTaskKinds.end()) {
            std::string kinds;
            for (auto k : kTaskKinds) kinds += (kinds.empty() ? "" : ", ") + std::string(k);
            r.error(v, vpath, "unknown task kind \"" + s + "\" (expected one of: " + kinds + ")");
            return;
          }
      out.push_back(std::move(c));
    };
    const auto& v = kv.second;
    if (v.IsScalar()) add_value(CompareOp::eq, v, fpath);
    else if (v.IsSequence()) add_value(CompareOp::in, v, fpath);
    else if (v.IsMap()) {
      static const std::map<std::string, CompareOp> ops{{"eq", CompareOp::eq}, {"ne", CompareOp::ne},
                                                        {"gt", CompareOp::gt}, {"gte", CompareOp::gte},
                                                        {"lt", CompareOp::lt}, {"lte", CompareOp::lte},
                                                        {"in", CompareOp::in}};
      for (const auto& opkv : v) {
        auto it = ops.find(opkv.first.Scalar());
        if (it == ops.end()) r.error(opkv.first, fpath + "." + opkv.first.Scalar(), "unknown comparison (expected eq, ne, gt, gte, lt, lte, in)");
        else add_value(it->second, opkv.second, fpath + "." + opkv.first.Scalar());
      }
    } else {
      r.error(v, fpath, "expected a value, a list, or {gt|gte|lt|lte|eq|ne|in: value}");
    }
  }
}

void read_policy(Reader& r, const YAML::Node& n, const std::string& path, Config& cfg) {
  if (!r.expect_map(n, path)) return;
  PolicyConfig p;
  p.yaml_path = path;
  auto type = r.string(n, "type", path, true);
  if (!type) return;
  if (*type == "rules") {
    p.type = PolicyConfig::Type::rules;
    r.check_keys(n, path, {"type", "rules", "when"});
    auto rules = n["rules"];
    if (!rules.IsSequence() || rules.size() == 0) {
      r.error(rules.IsDefined() ? rules : n, path + ".rules", "expected a list of {name, when, tier}");
      return;
    }
    for (std::size_t i = 0; i < rules.size(); ++i) {
      auto rn = rules[i];
      auto rp = Reader::index(path + ".rules", i);
      if (!r.expect_map(rn, rp)) continue;
      r.check_keys(rn, rp, {"name", "when", "tier"});
      Rule rule;
      rule.name = r.string(rn, "name", rp, false).value_or("rule " + std::to_string(i + 1));
      if (!rn["when"].IsDefined()) r.error(rn, rp + ".when", "is required");
      else read_conditions(r, rn["when"], rp + ".when", rule.when);
      if (auto t = tier_ref(r, cfg, rn["tier"], rp + ".tier")) rule.tier = *t;
      p.rules.push_back(std::move(rule));
    }
  } else if (*type == "split") {
    p.type = PolicyConfig::Type::split;
    r.check_keys(n, path, {"type", "weights", "when"});
    auto w = n["weights"];
    if (!w.IsMap() || w.size() == 0) {
      r.error(w.IsDefined() ? w : n, path + ".weights", "expected {tier: weight, ...}");
      return;
    }
    double total = 0;
    for (const auto& kv : w) {
      auto t = tier_ref(r, cfg, kv.first, path + ".weights." + kv.first.Scalar());
      auto v = r.number(w, kv.first.Scalar(), path + ".weights", 0, 1e9);
      if (t && v) {
        p.weights.emplace_back(*t, *v);
        total += *v;
      }
    }
    if (total <= 0) r.error(w, path + ".weights", "the weights must add up to more than 0");
  } else if (*type == "threshold") {
    p.type = PolicyConfig::Type::threshold;
    r.check_keys(n, path, {"type", "on", "below", "levels", "error_cost_usd", "when"});
    if (auto v = r.number(n, "error_cost_usd", path, 0, 1e9)) p.error_cost_usd = *v;
    if (auto on = r.string(n, "on", path, false)) {
      if (*on == "complexity") p.threshold_on_complexity = true;
      else if (*on != "score") r.error(n["on"], path + ".on", "expected score or complexity");
    }
    if (auto t = tier_ref(r, cfg, n["below"], path + ".below")) p.below_tier = *t;
    auto levels = n["levels"];
    if (!levels.IsSequence() || levels.size() == 0) {
      r.error(levels.IsDefined() ? levels : n, path + ".levels", "expected a list of {at, tier}");
      return;
    }
    for (std::size_t i = 0; i < levels.size(); ++i) {
      auto ln = levels[i];
      auto lp = Reader::index(path + ".levels", i);
      if (!r.expect_map(ln, lp)) continue;
      r.check_keys(ln, lp, {"at", "tier"});
      auto at = r.number(ln, "at", lp, -1e9, 1e9, true);
      auto t = tier_ref(r, cfg, ln["tier"], lp + ".tier");
      if (at && t) p.levels.emplace_back(*at, *t);
    }
    if (!std::is_sorted(p.levels.begin(), p.levels.end(), [](auto& a, auto& b) { return a.first < b.first; }))
      r.error(levels, path + ".levels", "levels must be in increasing order of `at`");
  } else if (*type == "expected_cost") {
    p.type = PolicyConfig::Type::expected_cost;
    r.check_keys(n, path, {"type", "weak", "strong", "error_cost_usd", "output_tokens", "when"});
    for (auto [key, strong] : {std::pair{"weak", false}, std::pair{"strong", true}}) {
      auto list = n[key];
      if (!list.IsDefined()) {
        r.error(n, path + "." + key, std::string("is required: the tiers whose outcome the model's ") + key + " tier predicts");
        continue;
      }
      if (list.IsScalar()) {
        if (auto t = tier_ref(r, cfg, list, path + "." + key)) p.candidates.emplace_back(*t, strong);
      } else if (list.IsSequence()) {
        for (std::size_t i = 0; i < list.size(); ++i)
          if (auto t = tier_ref(r, cfg, list[i], Reader::index(path + "." + key, i))) p.candidates.emplace_back(*t, strong);
      } else {
        r.error(list, path + "." + key, "expected a tier name or a list of tier names");
      }
    }
    if (auto v = r.number(n, "error_cost_usd", path, 0, 1e9)) p.error_cost_usd = *v;
    if (auto v = r.integer(n, "output_tokens", path, 1, 10000000)) p.output_tokens = *v;
  } else if (*type == "cascade") {
    p.type = PolicyConfig::Type::cascade;
    r.check_keys(n, path, {"type", "cheap", "strong", "signal", "tokens", "threshold", "on_missing", "when"});
    if (auto t = tier_ref(r, cfg, n["cheap"], path + ".cheap")) p.cascade.cheap = *t;
    if (auto t = tier_ref(r, cfg, n["strong"], path + ".strong")) p.cascade.strong = *t;
    if (auto sig = r.string(n, "signal", path, false)) {
      if (*sig == "first_token") p.cascade.signal = CascadePlan::Signal::first_token;
      else if (*sig == "mean") p.cascade.signal = CascadePlan::Signal::mean;
      else if (*sig == "min") p.cascade.signal = CascadePlan::Signal::min;
      else r.error(n["signal"], path + ".signal", "expected first_token, mean or min");
    }
    if (auto v = r.integer(n, "tokens", path, 1, 1000)) p.cascade.tokens = static_cast<int>(*v);
    if (auto v = r.number(n, "threshold", path, -1000, 0)) p.cascade.threshold = *v;
    if (auto v = r.string(n, "on_missing", path, false)) {
      if (*v == "escalate") p.cascade.escalate_on_missing = true;
      else if (*v != "accept") r.error(n["on_missing"], path + ".on_missing", "expected accept or escalate");
    }
    if (p.cascade.cheap == p.cascade.strong && n["cheap"].IsDefined())
      r.error(n["strong"], path + ".strong", "must differ from cheap");
  } else {
    r.error(n["type"], path + ".type", "unknown policy type \"" + *type + "\" (expected rules, split, threshold, expected_cost, cascade)");
    return;
  }
  if (auto w = n["when"]; w.IsDefined()) read_conditions(r, w, path + ".when", p.when);
  cfg.router.policies.push_back(std::move(p));
}

}  // namespace

std::optional<FeatureId> feature_by_name(std::string_view name) {
  for (const auto& [id, n] : kFeatures)
    if (n == name) return id;
  return std::nullopt;
}

std::string_view feature_name(FeatureId id) {
  for (const auto& [fid, n] : kFeatures)
    if (fid == id) return n;
  return "?";
}

bool is_text_feature(FeatureId id) {
  return id == FeatureId::task || id == FeatureId::domain || id == FeatureId::task_kind;
}

void read_router_section(Reader& r, const YAML::Node& router, Config& cfg) {
  r.check_keys(router, "router", {"default", "aliases", "model", "prompt", "domains", "policies", "output_tokens_estimate",
                                   "domain_model", "domain_min_confidence", "sticky", "sticky_ttl_s"});
  if (auto v = r.string(router, "sticky", "router", false)) {
    if (*v == "off") cfg.router.sticky = StickyMode::off;
    else if (*v == "tool_loops") cfg.router.sticky = StickyMode::tool_loops;
    else if (*v == "conversation") cfg.router.sticky = StickyMode::conversation;
    else r.error(router["sticky"], "router.sticky", "expected tool_loops, conversation or off");
  }
  if (auto v = r.integer(router, "sticky_ttl_s", "router", 1, 30 * 86400)) cfg.router.sticky_ttl = std::chrono::seconds(*v);
  if (auto m = r.string(router, "domain_model", "router", false)) cfg.router.domain_model_path = *m;
  if (auto v = r.number(router, "domain_min_confidence", "router", 0, 1)) cfg.router.domain_min_confidence = *v;
  if (auto v = r.integer(router, "output_tokens_estimate", "router", 1, 10000000)) cfg.router.output_tokens_estimate = *v;
  if (auto v = r.string(router, "default", "router", true)) {
    cfg.router.default_tier = *v;
    if (!cfg.tiers.empty() && !cfg.find_tier(*v)) r.error(router["default"], "router.default", "names no tier \"" + *v + "\"");
  }
  // A list of names the router decides for, or a map of name -> tier (or auto).
  if (auto a = router["aliases"]; a.IsDefined()) {
    auto add = [&](const YAML::Node& at, const std::string& name, const std::string& target) {
      if (cfg.find_tier(name)) {
        r.error(at, "router.aliases", "\"" + name + "\" is already a tier name");
      } else if (name == "auto") {
        r.error(at, "router.aliases", "\"auto\" is the router itself");
      } else if (target == "auto") {
        cfg.router.aliases.push_back(name);
      } else if (!cfg.tiers.empty() && !cfg.find_tier(target)) {
        r.error(at, "router.aliases." + name, "names no tier \"" + target + "\" (a tier name or auto)");
      } else {
        cfg.router.tier_aliases.emplace_back(name, target);
      }
    };
    if (a.IsSequence()) {
      for (const auto& item : a) {
        if (!item.IsScalar()) {
          r.error(item, "router.aliases", "expected model names");
          continue;
        }
        add(item, item.Scalar(), "auto");
      }
    } else if (a.IsMap()) {
      for (const auto& kv : a) {
        if (!kv.second.IsScalar()) {
          r.error(kv.second, "router.aliases." + kv.first.Scalar(), "expected a tier name or auto");
          continue;
        }
        add(kv.second, kv.first.Scalar(), kv.second.Scalar());
      }
    } else {
      r.error(a, "router.aliases", "expected a list of model names, or a map of model name -> tier (or auto)");
    }
  }
  if (auto m = r.string(router, "model", "router", false)) cfg.router.model_path = *m;
  if (auto p = router["prompt"]; p.IsDefined() && r.expect_map(p, "router.prompt")) {
    r.check_keys(p, "router.prompt", {"roles", "last_n"});
    if (auto roles = p["roles"]; roles.IsDefined()) {
      if (!roles.IsSequence() || roles.size() == 0) r.error(roles, "router.prompt.roles", "expected a list of roles");
      else {
        cfg.router.prompt.roles.clear();
        for (const auto& role : roles) cfg.router.prompt.roles.push_back(role.Scalar());
      }
    }
    if (auto v = r.integer(p, "last_n", "router.prompt", 0, 1000)) cfg.router.prompt.last_n = static_cast<int>(*v);
  }
  if (auto d = router["domains"]; d.IsDefined() && r.expect_map(d, "router.domains")) {
    for (const auto& kv : d) {
      const auto dp = "router.domains." + kv.first.Scalar();
      if (!r.expect_map(kv.second, dp)) continue;
      r.check_keys(kv.second, dp, {"risk", "error_cost_usd"});
      DomainInfo info;
      if (auto v = r.integer(kv.second, "risk", dp, 0, 10)) info.risk = static_cast<int>(*v);
      info.error_cost_usd = r.number(kv.second, "error_cost_usd", dp, 0, 1e9);
      cfg.router.domains[kv.first.Scalar()] = info;
    }
  }
  if (auto ps = router["policies"]; ps.IsDefined()) {
    if (!ps.IsSequence()) r.error(ps, "router.policies", "expected a list of policies");
    else
      for (std::size_t i = 0; i < ps.size(); ++i) read_policy(r, ps[i], Reader::index("router.policies", i), cfg);
  }
}

}  // namespace fulcrum
