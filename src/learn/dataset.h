#pragma once
// Labeled routing workloads: one JSON object per line with a prompt and each
// model's outcome (the format of ../shared/data/routellm/, see its README).
// Loading never throws: a malformed line is an error naming the line and field.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace fulcrum {

struct LabeledPrompt {
  std::string id;
  std::string category;
  std::string prompt;
  bool contaminated = false;
  std::map<std::string, double> scores;          // model -> score (0/1 or graded)
  std::map<std::string, std::string> responses;  // model -> response text, when present
};

struct Dataset {
  std::vector<LabeledPrompt> rows;
  std::vector<std::string> models;  // every model seen, sorted
};

struct DatasetOptions {
  bool drop_contaminated = true;  // as RouteLLM's evaluation does
};

// Loads a JSONL file. Errors name "<file>:<line>: <field>: <why>".
Result<Dataset> load_dataset(const std::string& path, const DatasetOptions& options = {});
Result<Dataset> parse_dataset(std::string_view text, const std::string& source, const DatasetOptions& options = {});

// The pair to route between: `weak`/`strong` when given, otherwise the two
// models with the lower and higher mean score. Every row must score both.
struct ModelPair {
  std::string weak;
  std::string strong;
};
Result<ModelPair> choose_pair(const Dataset& data, const std::string& weak = {}, const std::string& strong = {});

}  // namespace fulcrum
