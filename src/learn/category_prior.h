#pragma once
// The strong tier's expected gain given the prompt's likely category:
// sum over categories c of P(c | prompt) x mean gain of c, with P(c | prompt)
// from a multinomial naive Bayes classifier over the prompt's first words.
// Labeled workloads carry a category per row (an MMLU subject, a task type);
// how much escalation buys differs a lot between categories, and one row's
// 0/1 outcome pair says little, while its category's many rows say much. The
// linear gain model learns the category only through its words; this model
// names it outright and sharpens it with a softmax, which ranks the prompts
// that need the strong tier better (bench/RESULTS.md).
// Immutable after training or loading; gain() is const and thread-safe.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "learn/dataset.h"
#include "learn/text_features.h"

namespace fulcrum {

struct CategoryPriorOptions {
  double smoothing = 0.1;  // additive (Lidstone) smoothing of the word counts
  // Each category's mean gain is shrunk toward the overall mean by this many
  // pseudo-rows, so that a small category does not swing it.
  double strength = 20;
};

class CategoryPrior {
 public:
  // A word's counts for every category fit one 64-byte row (one cache line
  // per word read), so the categories beyond the 62 most frequent share a lane.
  static constexpr std::size_t kLanes = 64;
  static constexpr std::size_t kMaxCategories = kLanes - 1;  // the last lane counts known words
  static constexpr int kHashBits = 16;

  // Nothing to learn (std::nullopt) unless the rows carry two categories or more.
  static std::optional<CategoryPrior> train(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                                            const CategoryPriorOptions& options);

  // E[strong score - weak score | the prompt's category], in [-1, 1].
  double gain(const PromptWords& words) const;
  std::size_t categories() const { return names_.size(); }

  void save(std::ostream& out) const;
  static Result<CategoryPrior> load(std::istream& in);

 private:
  struct alignas(64) Row {
    std::uint8_t lane[kLanes];  // quantised log((count + a) / a) per category; the last: 1 if any count
  };
  CategoryPrior() = default;
  void fill_known_flags();

  std::vector<std::string> names_;
  std::vector<float> log_prior_;  // log P(c)
  std::vector<float> unseen_;     // log P(word | c) of a word never seen with c
  std::vector<float> gain_;       // shrunk mean gain of c
  float scale_ = 1;               // lane value x scale = log((count + a) / a)
  std::vector<Row> rows_;         // 2^kHashBits, by the word hash's low bits
};

}  // namespace fulcrum
