#pragma once
// What the router knows about a request when it decides: measured from the
// body (prompt size, code and math markers), declared by the client (task,
// domain, error cost, latency and money budgets, through x-fulcrum-* headers
// or the same names in the body's `metadata`), looked up in the config
// (domain risk) and predicted by the learned model (score, per-tier
// probabilities, complexity).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "openai/chat_request.h"

namespace fulcrum {

class OutcomeModel;
class DomainClassifier;

struct RequestFeatures {
  std::size_t message_count = 0;
  std::int64_t prompt_chars = 0;
  std::int64_t prompt_tokens_estimate = 0;
  // For context windows: every message's text (not only the router's prompt
  // selection), and the answer size the client asked for (max_tokens or
  // max_completion_tokens; 0: none).
  std::int64_t request_chars = 0;
  std::int64_t max_output_tokens = 0;
  // The code and math markers, looked for only when a condition reads them
  // or the decision is explained (a scan of up to 16 KB of text that most
  // configs never use); nullopt: not looked for.
  std::optional<bool> has_code;
  std::optional<bool> has_math;
  std::string task;
  // The kind of work the prompt's words ask for (learn/task_kind.h; one of
  // kTaskKinds, or empty: no cue word), read when a learned or domain model
  // is configured.
  std::string_view task_kind;
  std::string domain;
  std::string domain_source;                // "declared", "predicted" or empty
  std::optional<double> domain_confidence;  // of a predicted domain
  int domain_risk = 0;
  std::optional<double> error_cost_usd;
  std::optional<double> latency_budget_ms;
  std::optional<double> budget_usd;
  // From the learned model, when one is configured.
  std::optional<double> score;       // expected quality gain of the strong tier
  std::optional<double> p_weak;      // P(weak tier answers well)
  std::optional<double> p_strong;    // P(strong tier answers well)
  std::optional<double> complexity;  // 0..10: 10 x (1 - p_weak)
  // 0..1: how much the prompt reads like the model's training prompts; the
  // parts of the score learned from words count less below 1 (explain only).
  std::optional<double> familiarity;

  std::optional<double> number(FeatureId id) const;  // nullopt: unknown for this request
  std::string_view text(FeatureId id) const;         // task, task_kind and domain
  std::string to_json() const;
};

using HeaderLookup = std::function<std::string_view(std::string_view)>;

// Extracts features; thread-safe (const). `model` may be null.
class FeatureExtractor {
 public:
  FeatureExtractor(const RouterConfig& config, const OutcomeModel* model, const DomainClassifier* domains);

  // Fails (invalid_request naming the header or metadata field) when a
  // declared number does not parse. `every_feature`: also those no configured
  // condition reads (for explaining the decision).
  Result<RequestFeatures> extract(const ChatRequest& request, const HeaderLookup& header,
                                  bool every_feature = false) const;

  // The text the router reads: the configured roles' messages, last N of
  // them, joined by newlines; of a long one, only its first and last
  // kSampleChars (the models read less still: learn/text_features.h), so that
  // a decision costs the same on a 20,000-token prompt as on a 1,000,000-token
  // one. The code and math markers are looked for in that sample, and the
  // token estimate is the sample's, scaled to the whole length.
  static constexpr std::size_t kSampleChars = 8192;
  struct PromptSample {
    std::string text;  // all of it, or its first and last kSampleChars joined
    std::size_t total_chars = 0;
    bool cut() const { return total_chars > text.size(); }
  };
  static PromptSample prompt_sample(const ChatRequest& request, const PromptSelection& selection);

 private:
  const RouterConfig& config_;
  const OutcomeModel* model_;
  const DomainClassifier* domains_;
  bool conditions_read_markers_ = false;  // has_code or has_math
};

}  // namespace fulcrum
