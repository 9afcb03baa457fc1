#pragma once
// How much a prompt reads like the prompts a model was trained on: the share
// of its word trigrams (three words in a row) that at least two training
// prompts contain, against the same share for a typical training prompt.
// The lexical models (the gain model and the category prior) learn which
// words and subjects the strong tier wins on, and that knowledge is right only
// for prompts like their training data: trained on MMLU, they rank MMLU's
// held-out questions well and GSM8K's or chat's little better than a coin,
// while how demanding a prompt looks (its shape, learn/shape_model.h) carries
// (bench/RESULTS.md). The outcome model scales the lexical part of its score
// by this weight. Word trigrams tell a benchmark's own prompts from others far
// better than words do: trained on MMLU, 94% of GSM8K's words are known, as
// many as of MMLU's own held-out questions, but only a third as many trigrams.
// Immutable after training or loading; weight() is const and thread-safe.
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "core/result.h"
#include "learn/text_features.h"

namespace fulcrum {

class PhraseFamiliarity {
 public:
  // One bit per hashed trigram: set when two training prompts or more contain it.
  static constexpr int kHashBits = 22;
  // Below this reference share the training prompts hardly repeat a phrase, so
  // a new prompt's share says nothing about where it comes from: weight 1.
  static constexpr double kMinReference = 0.02;

  PhraseFamiliarity() = default;  // empty: every prompt weighs 1
  // `rows`: each training prompt's words (PromptWords, as the text features
  // read them). The reference is the median training prompt's share, each
  // counted without itself (leave-one-out), so that it is what a new prompt
  // from the same source would show.
  static PhraseFamiliarity train(const std::vector<PromptWords>& rows);

  // The share of the prompt's trigrams that two training prompts or more contain.
  double coverage(const PromptWords& words) const;
  // min(1, coverage / reference), or 1 when there is nothing to compare with
  // (an empty model, a prompt of fewer than three words, or training prompts
  // that share too few trigrams to tell their own kind from another).
  double weight(const PromptWords& words) const;
  double reference() const { return reference_; }
  bool in_use() const { return !bits_.empty() && reference_ >= kMinReference; }
  bool empty() const { return bits_.empty(); }

  void save(std::ostream& out) const;
  static Result<PhraseFamiliarity> load(std::istream& in);

 private:
  std::vector<std::uint64_t> bits_;  // 2^kHashBits bits; empty when untrained
  double reference_ = 0;
};

}  // namespace fulcrum
