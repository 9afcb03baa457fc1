#pragma once
// Honest held-out evaluation of the learned router: k folds fixed by a seed,
// drawn per distinct prompt text so a prompt that appears twice never sits on
// both sides of a split. Every command that reports a learned router's
// figures (eval, simulate, calibrate, recommend) uses these folds, so none of
// them scores a row with a model that was trained on it.
#include <cstdint>
#include <vector>

#include "learn/dataset.h"
#include "learn/outcome_model.h"

namespace fulcrum {

// fold[i] in [0, folds) for rows[i]; rows with one prompt, or turns of one
// conversation, share a fold.
std::vector<int> assign_folds(const std::vector<LabeledPrompt>& rows, int folds, std::uint64_t seed);

struct HeldOut {
  std::vector<int> fold;                    // per row
  std::vector<OutcomeModel> models;         // models[f] never saw a row of fold f
  std::vector<TierProbabilities> predicted;  // per row, from the model of its fold
};

// Trains one model per fold on the other folds and predicts each row with the
// model that did not see it.
HeldOut cross_validate(const std::vector<LabeledPrompt>& rows, const ModelPair& pair,
                       const OutcomeTrainOptions& options, int folds, std::uint64_t seed);

}  // namespace fulcrum
