#pragma once
// Predicts a prompt's domain (medical, legal, finance, science, math, code,
// other) so domain rules work when the client declares none. One-vs-rest
// logistic models over the router's hashed text features, with their weights
// side by side (one cache line per feature). Immutable after training or
// loading; predict() is const and thread-safe.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "learn/bf16_rows.h"
#include "learn/dataset.h"
#include "learn/logistic_model.h"

namespace fulcrum {

inline constexpr std::array<std::string_view, 7> kDomains{"medical", "legal", "finance", "science",
                                                          "math",    "code",  "other"};

// The domain of an MMLU subject (or "math_word_problem" for GSM8K).
std::string_view domain_of_category(std::string_view category);

struct DomainPrediction {
  std::string_view domain;  // one of kDomains
  double confidence = 0;    // normalised one-vs-rest probability
};

class DomainClassifier {
 public:
  static DomainClassifier train(const std::vector<const LabeledPrompt*>& rows, const FeatureOptions& features,
                                const TrainOptions& sgd);
  DomainPrediction predict(std::string_view prompt, std::vector<Feature>& scratch) const;
  // From features already extracted with at least this model's hash bits.
  DomainPrediction predict(const std::vector<Feature>& features, double inv_norm) const;
  const FeatureOptions& feature_options() const { return features_; }

  Status save(const std::string& path) const;
  static Result<DomainClassifier> load(const std::string& path);

 private:
  DomainClassifier(FeatureOptions features, std::vector<LogisticModel> models);
  FeatureOptions features_;
  std::vector<LogisticModel> models_;  // one per kDomains entry
  // The seven models' weights per bucket as bf16 (see learn/bf16_rows.h),
  // padded to eight in two halves of four: one 16-byte row per feature,
  // updated with a few whole-vector multiply-adds.
  struct alignas(16) FusedRow {
    Bf16x4 lo, hi;
  };
  static_assert(kDomains.size() <= 8);
  std::vector<FusedRow> fused_;
};

}  // namespace fulcrum
