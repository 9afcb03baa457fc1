#pragma once
// `fulcrum train` and `fulcrum eval`: the learned router from labeled outcomes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "learn/dataset.h"
#include "learn/outcome_model.h"

namespace fulcrum {

struct LearnOptions {
  std::vector<std::string> data_paths;  // several files are concatenated
  std::string weak, strong;  // empty: chosen by mean score
  std::uint64_t seed = 1;
  bool keep_contaminated = false;
  int hash_bits = 20;  // feature buckets: 2^hash_bits weights per model
  // The gateway's own traffic: requests whose prompt the ledger captured
  // (ledger.capture: prompts) and that got feedback, each judging the tier
  // that answered. Its weak and strong tiers stand for the pair's models.
  std::string ledger_path;
  std::string weak_tier = "flash", strong_tier = "pro";
  // The routing score's blend (OutcomeTrainOptions); unset: the shipped values.
  std::optional<double> shape_weight, hardness_weight, familiarity_floor, kind_weight, set_aside_z;
};

struct TrainCommand : LearnOptions {
  std::string out_path;
};

// Either k-fold held-out on --data, or trained on --train and scored on --test
// (the yardstick for a router: how it does on prompts from elsewhere).
struct EvalCommand : LearnOptions {
  int folds = 5;
  std::vector<std::string> train_paths, test_paths;
  // The --test data's pair, when it names its models otherwise (a router
  // trained on one pair, scored on the operator's own cheap and strong tiers).
  std::string test_weak, test_strong;
  std::string dump_scores_path;
  std::string svg_path;              // quality vs % strong calls chart
  std::string reliability_svg_path;  // predicted vs observed, per tier
};

struct TrainDomainsCommand : LearnOptions {
  std::string out_path;
  int folds = 5;
};

struct LabeledData {
  Dataset data;
  ModelPair pair;
};

// Every --data file concatenated; prints the error and returns nullopt on failure.
std::optional<Dataset> load_rows(const LearnOptions& o);
// The same, and the model pair (--weak/--strong or by mean score).
std::optional<LabeledData> load_labeled(const LearnOptions& o);
// Training options from the command line (seed, hash bits).
OutcomeTrainOptions train_options(const LearnOptions& o);

// --data rows and --ledger rows together, every row with both outcomes (a
// ledger row's other tier predicted, see learn/partial_outcomes.h); prints
// what it read. nullopt (after printing why) on failure.
struct TrainingRows {
  std::vector<LabeledPrompt> rows;
  ModelPair pair;
  std::size_t from_ledger = 0;  // the first rows.size() - from_ledger rows came from --data
  std::vector<bool> ledger_on_weak;  // per ledger row: its observed outcome is the weak tier's
};
// With `complete` false, ledger rows keep their one outcome (for k-fold, which completes per fold).
std::optional<TrainingRows> load_training_rows(const LearnOptions& o, bool complete = true);

int run_train(const TrainCommand& cmd);
// Held-out accuracy by k-fold, then a model trained on every row.
int run_train_domains(const TrainDomainsCommand& cmd);
int run_eval(const EvalCommand& cmd);

}  // namespace fulcrum
