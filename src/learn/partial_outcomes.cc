#include "learn/partial_outcomes.h"

#include <algorithm>

#include "learn/cross_validation.h"
#include "learn/logistic_model.h"
#include "learn/text_features.h"

namespace fulcrum {

Result<CompletedRows> complete_outcomes(std::vector<LabeledPrompt> rows, const ModelPair& pair,
                                        const OutcomeTrainOptions& options, int folds) {
  CompletedRows out;
  std::erase_if(rows, [&](const LabeledPrompt& r) {
    const bool none = !r.scores.count(pair.weak) && !r.scores.count(pair.strong);
    out.dropped += none;
    return none;
  });
  std::vector<std::vector<Feature>> x(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) extract_text_features(rows[i].routed_text(), options.features, x[i]);
  const auto fold = assign_folds(rows, folds, options.sgd.seed);
  for (const auto* tier : {&pair.weak, &pair.strong}) {
    std::size_t observed = 0;
    for (const auto& r : rows) observed += r.scores.count(*tier);
    if (observed == 0)
      return make_error(Errc::invalid_request, "no outcome of " + *tier + " to learn from: the router needs outcomes "
                                               "(feedback) of both tiers");
    if (observed == rows.size()) continue;
    // One model per fold, trained on the other folds' observed outcomes.
    for (int f = 0; f < folds; ++f) {
      std::vector<std::vector<Feature>> fx;
      std::vector<double> fy;
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (fold[i] != f)
          if (auto s = rows[i].scores.find(*tier); s != rows[i].scores.end()) {
            fx.push_back(x[i]);
            fy.push_back(std::clamp(s->second, 0.0, 1.0));
          }
      LogisticModel model(options.features.hash_bits);
      if (!fx.empty()) model.train(fx, fy, options.sgd);
      // Uncalibrated on purpose: too few rows to hold some out; the raw model's mean is right on its rows.
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (fold[i] == f && !rows[i].scores.count(*tier)) {
          rows[i].scores[*tier] = fx.empty() ? 0.5 : model.predict(x[i]);
          ++out.imputed;
        }
    }
  }
  out.rows = std::move(rows);
  return out;
}

}  // namespace fulcrum
