#pragma once
// Hashed sparse features of a prompt for the learned router: lower-cased word
// unigrams and bigrams, character 4-grams inside words (robust to spelling
// and morphology, as fastText's subwords), and a few dense shape features
// (length, digits, math and code markers, multiple-choice options).
// Allocation-free after warm-up when the caller reuses the output vector.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace fulcrum {

struct Feature {
  std::uint32_t index;
  float value;
  // Left uninitialised on purpose: the feature pass sizes its output for the
  // worst case with resize(), which must not zero ~100 KB per prompt.
  Feature() noexcept {}  // NOLINT: no member initialisers, see above
  constexpr Feature(std::uint32_t i, float v) noexcept : index(i), value(v) {}
};

struct FeatureOptions {
  int hash_bits = 20;  // 1M buckets
  bool bigrams = true;
  bool char_ngrams = true;
};

// The hashes of a prompt's first words, in order (the category prior's input,
// see learn/category_prior.h). Fixed size: filled on the routing hot path.
struct PromptWords {
  static constexpr std::size_t kMax = 256;
  std::uint32_t hash[kMax];
  std::size_t count = 0;
};

// The most of a prompt the features read: its first kModelHeadChars and last
// kModelTailChars characters (shape features such as length still see all).
// The decision's cost is about proportional to what is read: 3,072 + 1,024
// put a 2,000-token prompt's p99 at ~45 us here and 101-111 us on another
// machine of this kind; 1,024 + 512 halves it. Only 4.5% of MMLU prompts and
// 3.4% of arena_bench prompts are longer, and no held-out APGR moved by more
// than 0.005 (bench/RESULTS.md, session 12).
inline constexpr std::size_t kModelHeadChars = 1024;
inline constexpr std::size_t kModelTailChars = 512;

// What the models read of a prompt: all of it when it is at most
// kModelHeadChars + kModelTailChars long, else its first kModelHeadChars
// (`head`) and last kModelTailChars (`tail`), with the whole length.
struct PromptWindow {
  std::string_view head;  // the whole text when it fits
  std::string_view tail;  // empty when the whole text fits
  std::size_t total_chars = 0;

  // `text` is the whole prompt (training), or a sample of one `total_chars`
  // long that holds at least its first kModelHeadChars and last
  // kModelTailChars (the router, which never gathers the whole text): both
  // give the same window.
  static PromptWindow of(std::string_view text, std::size_t total_chars) {
    if (total_chars <= kModelHeadChars + kModelTailChars) return {text, {}, total_chars};
    return {text.substr(0, kModelHeadChars), text.substr(text.size() - kModelTailChars), total_chars};
  }
  static PromptWindow of(std::string_view text) { return of(text, text.size()); }
};

// Puts the features of `text` in `out` (cleared first) and returns the factor
// that L2-normalises them. With `normalize` the values are scaled by it here;
// without, the caller scales its dot products instead (one multiply per model,
// not one per feature: the routing hot path does that). With `words`, also
// puts there the hashes of the first PromptWords::kMax words read (the low 32
// bits of each word unigram's hash, so masking gives the feature's index).
float extract_text_features(const PromptWindow& text, const FeatureOptions& options, std::vector<Feature>& out,
                            bool normalize = true, PromptWords* words = nullptr);
inline float extract_text_features(std::string_view text, const FeatureOptions& options, std::vector<Feature>& out,
                                   bool normalize = true, PromptWords* words = nullptr) {
  return extract_text_features(PromptWindow::of(text), options, out, normalize, words);
}

// The prompt's word hashes alone, as the feature pass above gives them (the
// same hashes whatever its options), with no bigram or character n-gram made.
PromptWords prompt_words(std::string_view text, std::vector<Feature>& scratch);

}  // namespace fulcrum
