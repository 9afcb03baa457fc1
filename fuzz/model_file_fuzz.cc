// Model files (the category prior's and a logistic model's binary blocks, an
// isotonic map's line): any bytes give a model or an error, never a crash; a
// loaded prior's gain is always within [-1, 1] and a loaded map's values
// within [0, 1].
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "learn/category_prior.h"
#include "learn/isotonic_map.h"
#include "learn/logistic_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(bytes);
    auto prior = fulcrum::CategoryPrior::load(in);
    if (prior) {
      fulcrum::PromptWords words;
      for (std::size_t i = 0; i < words.kMax; ++i) words.hash[i] = static_cast<std::uint32_t>(i * 2654435761u);
      for (std::size_t n : {std::size_t{0}, std::size_t{1}, words.kMax}) {
        words.count = n;
        const double g = prior->gain(words);
        if (!(g >= -1 && g <= 1)) std::abort();
      }
    }
  }
  {
    std::istringstream in(bytes);
    auto map = fulcrum::IsotonicMap::load(in);
    if (map)
      for (double p : {-1.0, 0.0, 0.25, 0.5, 0.75, 1.0, 2.0}) {
        const double v = map->apply(p);
        if (!map->identity() && !(v >= 0 && v <= 1)) std::abort();
      }
  }
  std::istringstream in(bytes);
  (void)fulcrum::LogisticModel::load(in);
  return 0;
}
