#pragma once
// Labeled routing workloads: one JSON object per line with a prompt and each
// model's outcome (the format of ../shared/data/routellm/, see its README).
// Loading never throws: a malformed line is an error naming the line and field.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace fulcrum {

// What one model's answer cost, when the data recorded it (OpenAI `usage`).
struct TokenUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

struct LabeledPrompt {
  std::string id;
  std::string category;
  std::string prompt;
  bool contaminated = false;
  std::map<std::string, double> scores;          // model -> score (0/1 or graded)
  std::map<std::string, std::string> responses;  // model -> response text, when present
  std::map<std::string, TokenUsage> usage;       // model -> usage, when present
  // model -> logprobs of the first tokens of its answer (the cascade's
  // confidence signal), when present.
  std::map<std::string, std::vector<double>> logprobs;
  // The row's `metadata` object, serialized ("" when absent): replayed as the
  // request body's metadata (x-fulcrum-task, x-fulcrum-domain, ...).
  std::string metadata_json;
  // Multi-turn workloads: the conversation this row is a turn of, and its
  // place in it (`fulcrum simulate` resends earlier turns as the prefix).
  std::string conversation;
  std::int64_t turn = 0;
  // A later turn's conversation so far as the gateway's router reads it
  // (router.prompt's default roles: system and user; a row holds user turns
  // only): the earlier turns' prompts and this one, joined by newlines. Empty
  // for a first turn and a lone prompt.
  std::string conversation_text;

  // What the router reads for this row: training, eval and calibration score
  // a turn on the text it would be routed on, not on its last message alone.
  std::string_view routed_text() const { return conversation_text.empty() ? std::string_view(prompt) : conversation_text; }
};

struct Dataset {
  std::vector<LabeledPrompt> rows;
  std::vector<std::string> models;  // every model seen, sorted
  // How the file's scores were brought to 0..1, for the user to see: empty
  // when they already were (0/1 or 0-1), else e.g. "1-10, as (score - 1) / 9".
  std::string score_scale;
  // Rows that gave a `turn` but no `conversation`: each is read on its own.
  std::size_t turns_without_conversation = 0;
};

struct DatasetOptions {
  bool drop_contaminated = true;  // as RouteLLM's evaluation does
};

// Loads a JSONL file. Errors name "<file>:<line>: <field>: <why>". Scores
// are normalised to 0..1 whatever the file's scale: 0/1 and 0-1 stay; scores
// within 1-10 (a judge's rating) become (s - 1) / 9; within 0-10, s / 10;
// within 0-100, s / 100. Any other range is refused, naming it.
Result<Dataset> load_dataset(const std::string& path, const DatasetOptions& options = {});
Result<Dataset> parse_dataset(std::string_view text, const std::string& source, const DatasetOptions& options = {});

// Each conversation's rows (indices into `rows`) in order of `turn`, file
// order on a tie; rows without a conversation are in none.
std::vector<std::vector<std::size_t>> conversation_turns(const std::vector<LabeledPrompt>& rows);

// The pair to route between: `weak`/`strong` when given, otherwise the two
// models with the lower and higher mean score. Every row must score both.
struct ModelPair {
  std::string weak;
  std::string strong;
};
Result<ModelPair> choose_pair(const Dataset& data, const std::string& weak = {}, const std::string& strong = {});

// What escalating this row buys: its strong score minus its weak score, each
// clamped to [0, 1] (graded scores are), so in [-1, 1].
double strong_gain(const LabeledPrompt& row, const ModelPair& pair);

}  // namespace fulcrum
