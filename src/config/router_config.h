#pragma once
// The router's part of the config: the learned model, the domain table and
// the ordered list of policies. Plain data, validated by load_router.cc,
// turned into Policy objects by routing/build_router.cc.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fulcrum {

// Request features a rule may test, by name (see routing/features.h).
enum class FeatureId {
  task, domain, domain_risk, complexity, score, p_weak, p_strong, error_cost_usd,
  latency_budget_ms, budget_usd, prompt_tokens, message_count, has_code, has_math, task_kind,
};
std::optional<FeatureId> feature_by_name(std::string_view name);
std::string_view feature_name(FeatureId id);
bool is_text_feature(FeatureId id);  // task, task_kind and domain compare as strings

enum class CompareOp { eq, ne, gt, gte, lt, lte, in };

struct Condition {
  FeatureId feature = FeatureId::score;
  CompareOp op = CompareOp::eq;
  double number = 0;                 // numeric comparisons
  std::vector<std::string> strings;  // text eq/ne (one) and in (several)
};

struct Rule {
  std::string name;
  std::vector<Condition> when;  // all must hold
  std::size_t tier = 0;
};

struct DomainInfo {
  int risk = 0;                          // 0..10, the article's domain risk
  std::optional<double> error_cost_usd;  // default cost of a wrong answer in this domain
};

// The article's smart route: call the cheap tier with logprobs, escalate to
// the strong tier when its confidence is below the threshold.
struct CascadePlan {
  enum class Signal { first_token, mean, min } signal = Signal::first_token;
  std::size_t cheap = 0;
  std::size_t strong = 0;
  int tokens = 1;            // K: mean/min over the first K tokens
  double threshold = -0.5;   // escalate when the signal is below it (natural log)
  bool escalate_on_missing = false;  // a response without logprobs: accept (default) or escalate
};

struct PolicyConfig {
  enum class Type { rules, split, threshold, expected_cost, cascade } type = Type::rules;
  std::string yaml_path;  // for messages
  std::vector<Condition> when;  // the policy applies only when these hold (any type)

  std::vector<Rule> rules;                                 // rules
  std::vector<std::pair<std::size_t, double>> weights;     // split: tier, weight
  bool threshold_on_complexity = false;                    // threshold: score (default) or complexity
  std::size_t below_tier = 0;                              // threshold: under every level
  std::vector<std::pair<double, std::size_t>> levels;      // threshold: at -> tier, ascending
  std::vector<std::pair<std::size_t, bool>> candidates;    // expected_cost: tier, is the strong outcome
  double error_cost_usd = 0;                               // expected_cost: default; threshold: $ a point
  std::int64_t output_tokens = 400;                        // expected_cost: answer size estimate
  CascadePlan cascade;                                     // cascade
};

struct PromptSelection {
  std::vector<std::string> roles{"system", "user"};  // which messages' text is the prompt
  int last_n = 0;                                    // only the last N of those; 0 = all
};

}  // namespace fulcrum
