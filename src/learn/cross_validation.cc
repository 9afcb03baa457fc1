#include "learn/cross_validation.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string_view>
#include <unordered_map>

namespace fulcrum {

std::vector<int> assign_folds(const std::vector<LabeledPrompt>& rows, int folds, std::uint64_t seed) {
  // Rows that share a prompt, or are turns of one conversation (a later turn
  // reads the earlier ones), share a fold: none is scored by a model that saw it.
  std::unordered_map<std::string_view, int> fold_of_prompt, fold_of_conversation;
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> fold(rows.size());
  int next = 0;
  for (auto i : order) {
    auto& by = rows[i].conversation.empty() ? fold_of_prompt : fold_of_conversation;
    auto [it, fresh] = by.emplace(rows[i].conversation.empty() ? rows[i].prompt : rows[i].conversation, next);
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
      if (out.fold[i] == f) out.predicted[i] = model.probabilities(rows[i].routed_text(), scratch);
    out.models.push_back(std::move(model));
  }
  return out;
}

}  // namespace fulcrum
