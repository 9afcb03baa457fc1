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
#include "learn/isotonic_map.h"
#include "learn/dataset.h"
#include "learn/logistic_model.h"
#include "learn/phrase_familiarity.h"
#include "learn/shape_model.h"
#include "learn/task_kind.h"

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
  // The routing score adds, in units of the gain score's spread on the
  // training rows, `shape_weight` x the standardised shape model (learn/
  // shape_model.h, trained on "the strong tier wins") and `hardness_weight` x
  // the standardised P(weak tier fails). The gain model ranks prompts like its
  // training data best; these two say how demanding a prompt is, which is what
  // carries to other traffic. 0.25 / 0.1 were chosen over MMLU -> GSM8K,
  // GSM8K -> MMLU, MMLU + GSM8K -> arena_bench and chat_kinds, keeping 5-fold
  // MMLU >= 0.66 (bench/RESULTS.md); with the task kind in the score, a shape
  // weight of 0.4 (with the floor and kind weight below) raised every transfer
  // on seeds 1-5 for 0.007 of 5-fold MMLU (session 17). 0 / 0 is the gain
  // score alone.
  double shape_weight = 0.4;
  double hardness_weight = 0.1;
  // A category on which the strong tier scores reliably lower than the weak
  // one (mean gain + z standard errors < 0) contradicts the pair. In the
  // RouteLLM data it is MMLU's high_school_mathematics (GPT-4 scores 3% on it,
  // Mixtral 32%: a grading artefact, not a fact about math), and every model
  // that saw it learned "math -> the weak tier" and applied it to math
  // everywhere, the category prior too: it recognises the category by words
  // any math prompt shares. Its rows are set aside from the gain, shape and
  // prior models (the per-tier models keep them: each tier's own score is
  // what they predict). This costs 5-fold MMLU, whose folds hold the artefact
  // (0.665 -> 0.643), and moves math in chat from the weak tier's end of the
  // ranking to the middle (bench/RESULTS.md, session 12). 0 keeps them.
  double set_aside_z = 3;
  // What the score learned from words (the gain model, the category prior and
  // P(weak fails)) is scaled around its training mean by floor + (1 - floor)
  // x the prompt's phrase familiarity (learn/phrase_familiarity.h): on a
  // prompt unlike the training data, its shape decides more of the ranking.
  // 0.5 was chosen over the same six yardsticks as the weights above, seeds
  // 1-3 (bench/RESULTS.md, session 15): every transfer rose, 5-fold MMLU and
  // GSM8K fell by at most 0.004; 0.3 since the task kind (session 17). 1 turns
  // the scaling off.
  double familiarity_floor = 0.3;
  // The routing score adds, in units of the gain score's spread, `kind_weight`
  // x the prompt's task-kind demand (learn/task_kind.h: +1 for code, math,
  // reasoning, extraction, -1 for writing, role-play, chat, humanities) x
  // (1 - its phrase familiarity): where the prompt is unlike the training
  // data, what is known about kinds of work speaks for what the words could
  // not teach. Chosen over the six yardsticks, seeds 1-3 (bench/RESULTS.md,
  // session 16: 1.0), re-chosen with the shape weight and floor above, seeds
  // 1-5 (session 17: 1.5), and with the shape's number counts (session 21: 2).
  // 0 leaves it out.
  double kind_weight = 2.0;
};

// The categories OutcomeTrainOptions::set_aside_z sets aside.
std::vector<std::string> contradicting_categories(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                                                  double z);

// How the routing score combines its parts (see OutcomeTrainOptions): each
// part's mean and spread over the training rows, and the two weights.
struct ScoreBlend {
  double shape_weight = 0, hardness_weight = 0;
  double gain_mean = 0, gain_sd = 0;
  double hardness_mean = 0, hardness_sd = 1;
  double shape_mean = 0, shape_sd = 1;
  double familiarity_floor = 1;  // 1: the lexical parts are not scaled
  double kind_weight = 0;        // 0: the task kind is not read (version 5 files and before)
  // `familiarity`: PhraseFamiliarity::weight of the prompt, in [0, 1]; it
  // scales the parts learned from words (the gain and P(weak fails)), not the
  // shape, and the task kind's `demand` (TaskKindReading::demand) by its complement.
  double apply(double gain, double p_weak, double shape_margin, double familiarity, double demand) const {
    const double lexical_weight = familiarity_floor + (1 - familiarity_floor) * familiarity;
    return gain_mean + lexical_weight * (gain - gain_mean) +
           gain_sd * (lexical_weight * hardness_weight * ((1 - p_weak) - hardness_mean) / hardness_sd +
                      shape_weight * (shape_margin - shape_mean) / shape_sd + kind_weight * demand * (1 - familiarity));
  }
  bool reads_familiarity() const { return familiarity_floor < 1 || kind_weight > 0; }
};

// The routing score's parts before the blend, for `fulcrum eval --dump-scores`.
struct ScoreParts {
  double lexical_gain = 0;  // the gain model alone
  double prior_gain = 0;    // the category prior (0 without one)
  double shape_margin = 0;
  double familiarity = 1;  // PhraseFamiliarity::weight
  double trigram_coverage = 0;
  ShapeVector shape{};
  TaskKindReading task_kind;
};

struct TierProbabilities {
  double weak = 0;    // calibrated P(weak tier answers well)
  double strong = 0;  // calibrated P(strong tier answers well)
  double gain = 0;    // expected strong - weak score, in [-1, 1]: the routing score
  // How much the prompt reads like the training prompts (PhraseFamiliarity::
  // weight); 1 when the model does not scale by it.
  double familiarity = 1;
  TaskKindReading task_kind;  // read whenever the probabilities are
};

class OutcomeModel {
 public:
  static OutcomeModel train(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                            const OutcomeTrainOptions& options);

  TierProbabilities probabilities(std::string_view prompt, std::vector<Feature>& scratch) const;
  // From features already extracted (unnormalised, with their norm factor, and
  // the prompt's words) with at least this model's hash bits: indices are
  // masked down to its size. `text` is what they were read from (its shape).
  TierProbabilities probabilities(const std::vector<Feature>& features, double inv_norm, const PromptWords& words,
                                  const PromptWindow& text) const;
  ScoreParts parts(std::string_view prompt, std::vector<Feature>& scratch) const;
  const FeatureOptions& feature_options() const { return features_; }
  double score(std::string_view prompt, std::vector<Feature>& scratch) const {
    return probabilities(prompt, scratch).gain;
  }
  const ModelPair& pair() const { return pair_; }
  // How many categories the category prior tells apart (0: no prior).
  std::size_t prior_categories() const { return prior_ ? prior_->categories() : 0; }
  double prior_share() const { return prior_share_; }
  const ScoreBlend& blend() const { return blend_; }
  const PhraseFamiliarity& familiarity() const { return familiarity_; }
  // The categories training set aside (empty for a loaded model).
  const std::vector<std::string>& set_aside() const { return set_aside_; }

  Status save(const std::string& path) const;
  static Result<OutcomeModel> load(const std::string& path);

 private:
  OutcomeModel(ModelPair pair, FeatureOptions features, LogisticModel weak, LogisticModel strong, LogisticModel gain,
               std::optional<CategoryPrior> prior, double prior_share);
  // The three models' and the prior's parts of the score, before the blend.
  TierProbabilities lexical(const std::vector<Feature>& features, double inv_norm, const PromptWords& words) const;
  // The weak, strong and gain models' margins, in one pass over the fused rows.
  struct Margins {
    double weak, strong, gain;
  };
  Margins margins(const std::vector<Feature>& features, double inv_norm) const;

  ModelPair pair_;
  FeatureOptions features_;
  LogisticModel weak_;
  LogisticModel strong_;
  // Each tier's Platt-scaled probability, corrected by isotonic regression on
  // the held-out calibration rows (version 4 files; identity before).
  IsotonicMap weak_map_, strong_map_;
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
  ShapeModel shape_;
  ScoreBlend blend_;  // all zero weights: the gain score alone (version 1 and 2 files)
  PhraseFamiliarity familiarity_;  // version 5 files; empty before
  std::vector<std::string> set_aside_;
};

}  // namespace fulcrum
