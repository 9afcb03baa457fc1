#pragma once
// Rows with only one tier's outcome: what a gateway's own traffic gives (each
// request was answered by one tier, and its feedback judges that answer).
// Routing needs the strong tier's gain over the weak one, so each missing
// outcome is filled with that tier's predicted score: a logistic model of the
// tier's outcomes, trained on every row that has one (out of fold, so a row's
// own outcome never predicts its other tier).
#include <string>
#include <vector>

#include "core/result.h"
#include "learn/dataset.h"
#include "learn/outcome_model.h"

namespace fulcrum {

struct CompletedRows {
  std::vector<LabeledPrompt> rows;  // both outcomes present
  std::size_t imputed = 0;          // outcomes filled in
  std::size_t dropped = 0;          // rows with neither tier's outcome
};

// Error when a tier has no observed outcome at all (nothing to learn it from).
Result<CompletedRows> complete_outcomes(std::vector<LabeledPrompt> rows, const ModelPair& pair,
                                        const OutcomeTrainOptions& options, int folds = 5);

}  // namespace fulcrum
