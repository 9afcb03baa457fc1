#include "learn/cross_validation.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string_view>
#include <unordered_map>

namespace fulcrum {

std::vector<int> assign_folds(const std::vector<LabeledPrompt>& rows, int folds, std::uint64_t seed) {
  std::unordered_map<std::string_view, int> fold_of_prompt;
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> fold(rows.size());
  int next = 0;
  for (auto i : order) {
    auto [it, fresh] = fold_of_prompt.emplace(rows[i].prompt, next);
    if (fresh) next = (next + 1) % folds;
    fold[i] = it->second;
  }
  return fold;
}

HeldOut cross_validate(const std::vector<LabeledPrompt>& rows, const ModelPair& pair,
                       const OutcomeTrainOptions& options, int folds, std::uint64_t seed) {
  HeldOut out;
  out.fold = assign_folds(rows, folds, seed);
  out.predicted.resize(rows.size());
  std::vector<Feature> scratch;
  for (int f = 0; f < folds; ++f) {
    std::vector<const LabeledPrompt*> train;
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (out.fold[i] != f) train.push_back(&rows[i]);
    auto model = OutcomeModel::train(train, pair, options);
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (out.fold[i] == f) out.predicted[i] = model.probabilities(rows[i].prompt, scratch);
    out.models.push_back(std::move(model));
  }
  return out;
}

}  // namespace fulcrum
