#pragma once
// A labeled workload with a known answer, shared by the learning and routing
// tests: prompts about proofs defeat the weak model only; greetings both
// models answer. A model trained on it must score proofs far above greetings.
#include <string>
#include <vector>

#include "learn/outcome_model.h"

namespace fulcrum::testing {

inline std::vector<LabeledPrompt> synthetic_workload(int n) {
  std::vector<LabeledPrompt> rows;
  for (int i = 0; i < n; ++i) {
    LabeledPrompt r;
    const bool hard = i % 2 == 0;
    r.id = std::to_string(i);
    r.prompt = hard ? "prove the theorem about group " + std::to_string(i % 7) + " using induction"
                    : "say hello to friend number " + std::to_string(i % 5);
    r.scores["weak"] = hard ? 0 : 1;
    r.scores["strong"] = 1;
    rows.push_back(r);
  }
  return rows;
}

// Small and fast to train: 2^16 buckets, a high learning rate.
inline OutcomeModel train_synthetic_model(const std::vector<LabeledPrompt>& rows, OutcomeTrainOptions opt = {}) {
  std::vector<const LabeledPrompt*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  opt.features.hash_bits = 16;
  opt.sgd.learning_rate = opt.gain_sgd.learning_rate = 0.1;
  return OutcomeModel::train(ptrs, ModelPair{"weak", "strong"}, opt);
}

}  // namespace fulcrum::testing
