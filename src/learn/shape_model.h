#pragma once
// A prompt's shape: sixteen counts that say how much a prompt asks for (its
// length in characters and words, numbers and lines; the shares of its words
// that are distinct or capitalised, sentences and commas per word, the mean
// word length; and how much arithmetic it carries, learn/number_counts.h)
// and nothing about which benchmark or subject it came from. A logistic
// model over them, trained on "the strong tier wins", carries from one kind
// of traffic to another where the lexical models do not (MMLU -> GSM8K,
// GSM8K -> MMLU, MMLU + GSM8K -> chat: bench/RESULTS.md); the outcome model
// blends it into the routing score.
// Immutable after training or loading; margin() is const and thread-safe.
#include <array>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "learn/text_features.h"

namespace fulcrum {

inline constexpr std::size_t kShapeFeatures = 16;
// Model files before version 7 hold the first nine (no number counts).
inline constexpr std::size_t kShapeFeaturesBeforeNumbers = 9;
using ShapeVector = std::array<double, kShapeFeatures>;

// One branch-free pass over the text (its head and tail when long, as the text
// features read it, counts scaled to the whole), plus the distinct words among
// `words`, the text features' first word hashes of the same text.
ShapeVector prompt_shape(const PromptWindow& text, const PromptWords& words);
inline ShapeVector prompt_shape(std::string_view text, const PromptWords& words) {
  return prompt_shape(PromptWindow::of(text), words);
}

class ShapeModel {
 public:
  ShapeModel() = default;
  // Labels in [0, 1]; full-batch gradient descent on standardised features
  // (deterministic: no sampling).
  static ShapeModel train(const std::vector<ShapeVector>& x, const std::vector<double>& y);
  double margin(const ShapeVector& x) const;

  void save(std::ostream& out) const;
  // `features`: how many the file holds (kShapeFeatures, or
  // kShapeFeaturesBeforeNumbers in an older file: the rest then weigh nothing).
  static Result<ShapeModel> load(std::istream& in, std::size_t features = kShapeFeatures);

 private:
  ShapeVector mean_{}, inv_sd_{}, weight_{};
  double bias_ = 0;
};

}  // namespace fulcrum
