#pragma once
// `fulcrum train` and `fulcrum eval`: the learned router from labeled outcomes.
#include <cstdint>
#include <string>

namespace fulcrum {

struct LearnOptions {
  std::string data_path;
  std::string weak, strong;  // empty: chosen by mean score
  std::uint64_t seed = 1;
  bool keep_contaminated = false;
};

struct TrainCommand : LearnOptions {
  std::string out_path;
};

struct EvalCommand : LearnOptions {
  int folds = 5;
  std::string dump_scores_path;
};

int run_train(const TrainCommand& cmd);
int run_eval(const EvalCommand& cmd);

}  // namespace fulcrum
