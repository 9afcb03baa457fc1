#pragma once
// A labeled workload as the simulator replays it: for every row and every
// config tier, the tokens it would bill, its score (when the data holds the
// outcome of the model that tier stands for) and the first tokens' logprobs.
// Built once from the data, the config's prices and the tier -> model map;
// every strategy is then costed on the same numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "learn/dataset.h"

namespace fulcrum {

struct TokenSizes {
  std::int64_t input = 0;
  std::int64_t output = 0;
};

// The answer size a row is billed at when the data has no usage or response
// for it and no --tokens was given: a typical chat answer (a few paragraphs).
inline constexpr std::int64_t kDefaultOutputTokens = 300;

struct WorkloadOptions {
  // tier name -> data model whose outcomes it stands for. Unnamed tiers: the
  // pair's weak model goes to the cheapest tier, the strong model to the
  // dearest (the first in config order on a tie).
  std::vector<std::pair<std::string, std::string>> outcomes;
  std::optional<TokenSizes> tokens;  // --tokens IN:OUT: where the data has none
  bool tokens_override = false;       // --tokens replaces the data's sizes
  double cache_hit_rate = 0;          // share of input tokens billed at the cache-hit price
};

struct SimTier {
  std::string name;
  double usd_per_input_token = 0;   // cache miss/hit blend, averaged over the day's price windows
  double usd_per_input_miss = 0, usd_per_input_hit = 0;  // the two, for a conversation's resent prefix
  double usd_per_output_token = 0;
  std::optional<LatencyProfile> latency;
  std::string model;  // data model standing for it; empty: no outcomes (quality unknown)
};

struct SimRow {
  const LabeledPrompt* source = nullptr;
  std::vector<TokenSizes> tokens;             // per tier
  std::vector<std::optional<double>> score;   // per tier
  std::vector<const std::vector<double>*> logprobs;  // per tier, null when absent
  // In a multi-turn workload: the conversation's previous turn (a row index).
  // Its prompt and answer are resent with this turn as the cached prefix.
  std::optional<std::size_t> previous;
};

struct Workload {
  std::vector<SimTier> tiers;  // config order
  std::vector<SimRow> rows;
  std::size_t weak_tier = 0;    // the pair's tiers: the learned router routes between them
  std::size_t strong_tier = 0;
  std::vector<std::string> notes;  // assumptions the report must state

  double cost_usd(std::size_t row, std::size_t tier) const {
    const auto& t = tiers[tier];
    const auto& s = rows[row].tokens[tier];
    return static_cast<double>(s.input) * t.usd_per_input_token + static_cast<double>(s.output) * t.usd_per_output_token;
  }
};

// Fails with a message naming the tier, row or flag when a tier has no price,
// a mapping names an unknown tier or model, or a row has no token sizes.
Result<Workload> build_workload(const Dataset& data, const ModelPair& pair, const Config& config,
                                const WorkloadOptions& options);

}  // namespace fulcrum
