#pragma once
// How much arithmetic a prompt carries: its numbers ("1,250.5" is one), how
// many differ, the longest and the largest, how many characters they take,
// and whether any is a decimal, a percentage or a fraction. Part of the
// prompt's shape (learn/shape_model.h): like the other counts, it says how
// much a prompt asks for and nothing about the benchmark it came from, and
// it carried between MMLU and GSM8K where words did not (bench/RESULTS.md).
#include <string_view>

namespace fulcrum {

struct NumberCounts {
  double numbers = 0;          // tokens: a digit run, with inner "." or "," between digits
  double characters = 0;       // their characters, separators included
  double distinct = 0;         // tokens that differ (hashed: a collision undercounts by one)
  double longest = 0;          // the longest token's characters
  double largest = 0;          // the largest value (its whole part; "1,250.5" is 1250)
  bool decimal = false;        // a token with a "."
  bool percent = false;        // a "%" anywhere
  bool fraction = false;       // a digit, "/", a digit
};

// Adds `text`'s numbers to `counts`; call once per part of a prompt's window
// (its head, then its tail), with one `seen` table for both.
class NumberCounter {
 public:
  void add(std::string_view text);
  const NumberCounts& counts() const { return counts_; }

 private:
  NumberCounts counts_;
  unsigned long long seen_[16] = {};  // 1,024 buckets of token hashes
};

}  // namespace fulcrum
