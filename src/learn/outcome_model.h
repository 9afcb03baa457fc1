#pragma once
// The learned router's model: for each tier of a pair, the calibrated
// probability that it answers a prompt well. Routing needs the strong tier's
// expected gain, P(strong good) - P(weak good), not P(weak fails): prompts
// that defeat both tiers gain nothing from escalation (about 14% of MMLU).
// Immutable after training or loading; score() is const and thread-safe.
#include <array>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/result.h"
#include "learn/bf16_rows.h"
#include "learn/category_prior.h"
#include "learn/dataset.h"
#include "learn/logistic_model.h"

namespace fulcrum {

struct OutcomeTrainOptions {
  FeatureOptions features;
  TrainOptions sgd{8, 0.005, 1e-5, 1};  // per-tier models; same regularisation as the gain model
  // Few epochs at a low rate: the gain signal is weak and overfits fast
  // (tuned by 5-fold APGR on MMLU and GSM8K, see bench/RESULTS.md).
  TrainOptions gain_sgd{8, 0.005, 1e-5, 1};
  double calibration_fraction = 0.2;  // of the training rows, held out for Platt scaling
  // The gain model's label: (1 - w) x the row's own gain + w x its category's
  // mean gain (shrunk toward the overall mean by `strength` pseudo-rows). Only
  // when the rows carry more than one category. 0.8 / 20 were chosen by 5-fold
  // APGR on MMLU (seeds 1-3; bench/RESULTS.md): CPT(50%) 28.1% -> 27.5% on average.
  double category_prior_weight = 0.8;
  double category_prior_strength = 20;
  // The routing score is (1 - share) x the gain model + share x the category
  // prior (learn/category_prior.h), when the rows carry categories. 1/3 was
  // chosen by 5-fold CPT(50%) on MMLU, seeds 1-3 (bench/RESULTS.md).
  double category_prior_share = 1.0 / 3;
  double category_prior_smoothing = 0.1;
};

struct TierProbabilities {
  double weak = 0;    // calibrated P(weak tier answers well)
  double strong = 0;  // calibrated P(strong tier answers well)
  double gain = 0;    // expected strong - weak score, in [-1, 1]: the routing score
};

class OutcomeModel {
 public:
  static OutcomeModel train(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                            const OutcomeTrainOptions& options);

  TierProbabilities probabilities(std::string_view prompt, std::vector<Feature>& scratch) const;
  // From features already extracted (unnormalised, with their norm factor, and
  // the prompt's words) with at least this model's hash bits: indices are
  // masked down to its size.
  TierProbabilities probabilities(const std::vector<Feature>& features, double inv_norm,
                                  const PromptWords& words) const;
  const FeatureOptions& feature_options() const { return features_; }
  double score(std::string_view prompt, std::vector<Feature>& scratch) const {
    return probabilities(prompt, scratch).gain;
  }
  const ModelPair& pair() const { return pair_; }
  // How many categories the category prior tells apart (0: no prior).
  std::size_t prior_categories() const { return prior_ ? prior_->categories() : 0; }
  double prior_share() const { return prior_share_; }

  Status save(const std::string& path) const;
  static Result<OutcomeModel> load(const std::string& path);

 private:
  OutcomeModel(ModelPair pair, FeatureOptions features, LogisticModel weak, LogisticModel strong, LogisticModel gain,
               std::optional<CategoryPrior> prior, double prior_share);

  ModelPair pair_;
  FeatureOptions features_;
  LogisticModel weak_;
  LogisticModel strong_;
  // Soft-label logistic model of (strong - weak + 1) / 2: its prediction is
  // (E[gain] + 1) / 2. Modelling the gain directly ranks prompts far better
  // than subtracting two per-tier models, whose errors dwarf the difference.
  LogisticModel gain_;
  // The three models' weights side by side as bf16 (see learn/bf16_rows.h),
  // padded to 8 bytes: scoring a prompt reads one small row per feature and
  // updates all three margins with one vector multiply-add (the routing hot path).
  std::vector<Bf16x4> fused_;
  std::optional<CategoryPrior> prior_;  // none when trained on one category
  double prior_share_ = 0;
};

}  // namespace fulcrum
