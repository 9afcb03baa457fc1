#pragma once
// Hashed sparse features of a prompt for the learned router: lower-cased word
// unigrams and bigrams, character 4-grams inside words (robust to spelling
// and morphology, as fastText's subwords), and a few dense shape features
// (length, digits, math and code markers, multiple-choice options).
// Allocation-free after warm-up when the caller reuses the output vector.
#include <cstdint>
#include <string_view>
#include <vector>

namespace fulcrum {

struct Feature {
  std::uint32_t index;
  float value;
};

struct FeatureOptions {
  int hash_bits = 20;  // 1M buckets
  bool bigrams = true;
  bool char_ngrams = true;
};

// Appends the features of `text` to `out` (cleared first), L2-normalised.
void extract_text_features(std::string_view text, const FeatureOptions& options, std::vector<Feature>& out);

}  // namespace fulcrum
