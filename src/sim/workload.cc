#include "sim/workload.h"

#include <algorithm>

#include "core/token_estimate.h"

namespace fulcrum {
namespace {

Error bad(const std::string& why) { return make_error(Errc::invalid_request, why); }

// The mean price over the 1,440 minutes of a day: requests are assumed to
// arrive evenly, so off-peak windows count by their length. In USD per token
// (micro-USD per 1M tokens is a factor of 1e-12).
struct DayPrices {
  double input_miss = 0, input_hit = 0, output = 0;
};
DayPrices day_average(const Tier& t) {
  DayPrices d;
  for (int m = 0; m < 24 * 60; ++m) {
    const auto& p = t.prices_at(m);
    d.input_miss += static_cast<double>(p.input);
    d.input_hit += static_cast<double>(p.cached_input);
    d.output += static_cast<double>(p.output);
  }
  for (double* v : {&d.input_miss, &d.input_hit, &d.output}) *v = *v / 1440.0 * 1e-12;
  return d;
}

}  // namespace

Result<Workload> build_workload(const Dataset& data, const ModelPair& pair, const Config& config,
                                const WorkloadOptions& options) {
  if (data.rows.empty()) return bad("the workload has no rows");
  if (config.tiers.empty()) return bad("the config has no tiers");
  Workload w;
  for (const auto& t : config.tiers) {
    SimTier st;
    st.name = t.name;
    const auto day = day_average(t);
    if (day.input_miss == 0 && day.output == 0)
      return bad("tier " + t.name + " has no price (price.input and price.output are 0): set tiers." + t.name + ".price");
    st.usd_per_output_token = day.output;
    st.usd_per_input_token = (1 - options.cache_hit_rate) * day.input_miss + options.cache_hit_rate * day.input_hit;
    st.usd_per_input_miss = day.input_miss;
    st.usd_per_input_hit = day.input_hit;
    st.latency = t.latency;
    w.tiers.push_back(std::move(st));
  }
  for (const auto& [tier, model] : options.outcomes) {
    auto idx = config.tier_index(tier);
    if (!idx) return bad("--outcome " + tier + "=" + model + ": the config has no tier " + tier);
    if (std::find(data.models.begin(), data.models.end(), model) == data.models.end())
      return bad("--outcome " + tier + "=" + model + ": the data has no model " + model);
    w.tiers[*idx].model = model;
  }
  // Default map: weak -> cheapest tier, strong -> dearest, unless named.
  auto price_of = [&](std::size_t i) { return w.tiers[i].usd_per_input_token + w.tiers[i].usd_per_output_token; };
  auto mapped = [&](const std::string& model) {
    for (std::size_t i = 0; i < w.tiers.size(); ++i)
      if (w.tiers[i].model == model) return std::optional<std::size_t>(i);
    return std::optional<std::size_t>();
  };
  if (!mapped(pair.weak)) {
    std::size_t best = w.tiers.size();
    for (std::size_t i = 0; i < w.tiers.size(); ++i)
      if (w.tiers[i].model.empty() && (best == w.tiers.size() || price_of(i) < price_of(best))) best = i;
    if (best == w.tiers.size()) return bad("no tier left for the weak model " + pair.weak + ": name one with --outcome");
    w.tiers[best].model = pair.weak;
  }
  if (!mapped(pair.strong)) {
    std::size_t best = w.tiers.size();
    for (std::size_t i = 0; i < w.tiers.size(); ++i)
      if (w.tiers[i].model.empty() && (best == w.tiers.size() || price_of(i) > price_of(best))) best = i;
    if (best == w.tiers.size()) return bad("no tier left for the strong model " + pair.strong + ": name one with --outcome");
    w.tiers[best].model = pair.strong;
  }
  w.weak_tier = *mapped(pair.weak);
  w.strong_tier = *mapped(pair.strong);
  if (w.weak_tier == w.strong_tier) return bad("the weak and strong models map to the same tier");

  bool assumed_strong_sizes = false;
  std::size_t estimated_from_text = 0, defaulted = 0;
  w.rows.reserve(data.rows.size());
  for (const auto& r : data.rows) {
    SimRow row;
    row.source = &r;
    const auto prompt_tokens = estimate_tokens(r.prompt);
    for (std::size_t t = 0; t < w.tiers.size(); ++t) {
      const bool has_outcomes = !w.tiers[t].model.empty();
      // A tier without outcomes bills --tokens, or else the strong model's
      // answer sizes (the closest stand-in the data has).
      const auto& model = has_outcomes ? w.tiers[t].model : pair.strong;
      auto usage = r.usage.find(model);
      auto response = r.responses.find(model);
      TokenSizes size{prompt_tokens, 0};
      if (options.tokens && (options.tokens_override || !has_outcomes)) {
        size = *options.tokens;
        if (!options.tokens_override) size.input = prompt_tokens;
      } else if (usage != r.usage.end()) {
        size = TokenSizes{usage->second.prompt_tokens, usage->second.completion_tokens};
      } else if (response != r.responses.end()) {
        size.output = estimate_tokens(response->second);
        ++estimated_from_text;
      } else if (options.tokens) {
        size.output = options.tokens->output;
      } else {
        size.output = kDefaultOutputTokens;
        ++defaulted;
      }
      if (!has_outcomes && !options.tokens) assumed_strong_sizes = true;
      row.tokens.push_back(size);
      if (w.tiers[t].model.empty()) {
        row.score.emplace_back();
        row.logprobs.push_back(nullptr);
      } else {
        auto s = r.scores.find(w.tiers[t].model);
        row.score.push_back(s == r.scores.end() ? std::nullopt : std::optional<double>(s->second));
        auto lp = r.logprobs.find(w.tiers[t].model);
        row.logprobs.push_back(lp == r.logprobs.end() ? nullptr : &lp->second);
      }
    }
    w.rows.push_back(std::move(row));
  }
  for (const auto& t : w.tiers)
    if (t.model.empty())
      w.notes.push_back("tier " + t.name + " has no outcomes in the data (map one with --outcome " + t.name +
                        "=MODEL): its quality is unknown" +
                        (assumed_strong_sizes ? "; it is billed at " + pair.strong + "'s answer sizes" : std::string()));
  // Turns of one conversation, in order: each one's previous turn.
  // (w.rows[i] is data.rows[i].)
  const auto conversations = conversation_turns(data.rows);
  std::size_t turns = 0;
  for (const auto& rows : conversations) {
    for (std::size_t k = 1; k < rows.size(); ++k) w.rows[rows[k]].previous = rows[k - 1];
    turns += rows.size();
  }
  if (!conversations.empty())
    w.notes.push_back(std::to_string(conversations.size()) + " conversations (" + std::to_string(turns) +
                      " turns): each turn resends the earlier turns' prompts and answers, billed at the cache-hit "
                      "price when it stays on the previous turn's tier and at the miss price when it moves");
  // Always say which sizes the costs rest on.
  if (options.tokens_override && options.tokens) {
    w.notes.push_back("token sizes: " + std::to_string(options.tokens->input) + " in / " +
                      std::to_string(options.tokens->output) + " out for every request (--tokens-only)");
  } else {
    std::string note = "token sizes: input estimated from each prompt (4 characters per token) where the data has no usage";
    if (estimated_from_text > 0)
      note += "; output estimated from the data's responses where no usage is given";
    if (defaulted > 0)
      note += "; output " + std::to_string(kDefaultOutputTokens) + " tokens for " + std::to_string(defaulted) +
              " answers the data gives no size for";
    if (options.tokens)
      note += "; " + std::to_string(options.tokens->output) + " out where the data has no size (--tokens)";
    if (defaulted > 0 || options.tokens)
      note += " (--tokens IN:OUT sets the missing sizes, --tokens-only every size)";
    w.notes.push_back(std::move(note));
  }
  if (options.cache_hit_rate > 0)
    w.notes.push_back("input billed with " + std::to_string(static_cast<int>(options.cache_hit_rate * 100 + 0.5)) +
                      "% at the cache-hit price");
  return w;
}

}  // namespace fulcrum
