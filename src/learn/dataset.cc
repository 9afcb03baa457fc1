#include "learn/dataset.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <boost/json.hpp>

namespace fulcrum {
namespace {

Error line_error(const std::string& source, std::size_t line, const std::string& field, const std::string& why) {
  return make_error(Errc::invalid_request, source + ":" + std::to_string(line) + ": " + field + ": " + why, field);
}

// Sets each later turn's conversation_text, in the order the simulator
// replays the turns.
void join_conversation_turns(std::vector<LabeledPrompt>& rows) {
  for (const auto& turns : conversation_turns(rows)) {
    std::string so_far = rows[turns.front()].prompt;
    for (std::size_t k = 1; k < turns.size(); ++k) {
      auto& row = rows[turns[k]];
      so_far += '\n';
      so_far += row.prompt;
      row.conversation_text = so_far;
    }
  }
}

// Brings every score to 0..1 (see load_dataset); an error for a range no known scale explains.
std::optional<Error> normalize_scores(Dataset& data, const std::string& source) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : data.rows)
    for (const auto& [m, s] : r.scores) lo = std::min(lo, s), hi = std::max(hi, s);
  if (lo >= 0 && hi <= 1) return std::nullopt;
  double offset = 0, divisor = 1;
  if (lo >= 1 && hi <= 10) {
    offset = 1, divisor = 9, data.score_scale = "1-10, as (score - 1) / 9";
  } else if (lo >= 0 && hi <= 10) {
    divisor = 10, data.score_scale = "0-10, as score / 10";
  } else if (lo >= 0 && hi <= 100) {
    divisor = 100, data.score_scale = "0-100, as score / 100";
  } else {
    std::ostringstream why;
    why << source << ": scores range from " << lo << " to " << hi
        << "; expected 0/1, 0-1, 1-10 or 0-100 (higher is better): rescale them to 0-1";
    return make_error(Errc::invalid_request, why.str(), "score");
  }
  for (auto& r : data.rows)
    for (auto& [m, s] : r.scores) s = (s - offset) / divisor;
  return std::nullopt;
}

}  // namespace

Result<Dataset> parse_dataset(std::string_view text, const std::string& source, const DatasetOptions& options) {
  Dataset out;
  std::set<std::string> models;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec) return line_error(source, line_no, "(line)", "not valid JSON: " + ec.message());
    auto* o = v.if_object();
    if (!o) return line_error(source, line_no, "(line)", "expected a JSON object");
    LabeledPrompt row;
    auto str = [&](const char* key, std::string& dst, bool required) -> std::optional<Error> {
      auto it = o->find(key);
      if (it == o->end()) {
        if (required) return line_error(source, line_no, key, "is required");
        return std::nullopt;
      }
      if (!it->value().is_string()) return line_error(source, line_no, key, "must be a string");
      dst = std::string(it->value().get_string());
      return std::nullopt;
    };
    if (auto e = str("prompt", row.prompt, true)) return *e;
    if (auto e = str("id", row.id, false)) return *e;
    if (auto e = str("category", row.category, false)) return *e;
    if (row.id.empty()) row.id = source + ":" + std::to_string(line_no);
    if (auto e = str("conversation", row.conversation, false)) return *e;
    if (auto it = o->find("turn"); it != o->end()) {
      if (!it->value().is_int64() || it->value().get_int64() < 0)
        return line_error(source, line_no, "turn", "must be a non-negative integer");
      if (row.conversation.empty()) return line_error(source, line_no, "turn", "needs a conversation");
      row.turn = it->value().get_int64();
    }
    if (auto it = o->find("contaminated"); it != o->end()) {
      if (!it->value().is_bool()) return line_error(source, line_no, "contaminated", "must be true or false");
      row.contaminated = it->value().get_bool();
    }
    auto outcomes = o->find("outcomes");
    if (outcomes == o->end() || !outcomes->value().is_object() || outcomes->value().get_object().empty())
      return line_error(source, line_no, "outcomes", "must be an object of model -> {score}");
    for (const auto& kv : outcomes->value().get_object()) {
      const std::string model(kv.key());
      const auto field = "outcomes." + model;
      auto* mo = kv.value().if_object();
      if (!mo) return line_error(source, line_no, field, "must be an object with a score");
      auto sc = mo->find("score");
      if (sc == mo->end() || !sc->value().is_number())
        return line_error(source, line_no, field + ".score", "is required and must be a number");
      row.scores[model] = sc->value().to_number<double>();
      if (auto r = mo->find("response"); r != mo->end() && r->value().is_string())
        row.responses[model] = std::string(r->value().get_string());
      if (auto u = mo->find("usage"); u != mo->end()) {
        auto* uo = u->value().if_object();
        if (!uo) return line_error(source, line_no, field + ".usage", "must be an object {prompt_tokens, completion_tokens}");
        TokenUsage usage;
        for (auto [key, dst] : {std::pair{"prompt_tokens", &usage.prompt_tokens},
                                std::pair{"completion_tokens", &usage.completion_tokens}}) {
          auto it = uo->find(key);
          if (it == uo->end() || !it->value().is_int64() || it->value().get_int64() < 0)
            return line_error(source, line_no, field + ".usage." + key, "is required and must be a non-negative integer");
          *dst = it->value().get_int64();
        }
        row.usage[model] = usage;
      }
      if (auto lp = mo->find("logprobs"); lp != mo->end()) {
        auto* arr = lp->value().if_array();
        if (!arr) return line_error(source, line_no, field + ".logprobs", "must be an array of numbers");
        auto& dst = row.logprobs[model];
        for (const auto& x : *arr) {
          if (!x.is_number() || x.to_number<double>() > 0)
            return line_error(source, line_no, field + ".logprobs", "must hold numbers <= 0 (natural-log probabilities)");
          dst.push_back(x.to_number<double>());
        }
      }
      models.insert(model);
    }
    if (auto m = o->find("metadata"); m != o->end()) {
      if (!m->value().is_object()) return line_error(source, line_no, "metadata", "must be an object");
      row.metadata_json = boost::json::serialize(m->value());
    }
    out.rows.push_back(std::move(row));
  }
  // Turns are joined before contaminated rows go: the gateway would still
  // have been sent a dropped turn as part of the next one.
  join_conversation_turns(out.rows);
  if (options.drop_contaminated)
    std::erase_if(out.rows, [](const LabeledPrompt& r) { return r.contaminated; });
  if (out.rows.empty()) return make_error(Errc::invalid_request, source + ": the workload has no usable rows");
  out.models.assign(models.begin(), models.end());
  if (auto e = normalize_scores(out, source)) return *e;
  return out;
}

std::vector<std::vector<std::size_t>> conversation_turns(const std::vector<LabeledPrompt>& rows) {
  std::map<std::string_view, std::vector<std::size_t>> conversations;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!rows[i].conversation.empty()) conversations[rows[i].conversation].push_back(i);
  std::vector<std::vector<std::size_t>> out;
  out.reserve(conversations.size());
  for (auto& [name, turns] : conversations) {
    std::stable_sort(turns.begin(), turns.end(), [&](std::size_t a, std::size_t b) { return rows[a].turn < rows[b].turn; });
    out.push_back(std::move(turns));
  }
  return out;
}

Result<Dataset> load_dataset(const std::string& path, const DatasetOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::invalid_request, path + ": cannot open the data file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_dataset(ss.str(), path, options);
}

Result<ModelPair> choose_pair(const Dataset& data, const std::string& weak, const std::string& strong) {
  ModelPair pair{weak, strong};
  if (pair.weak.empty() || pair.strong.empty()) {
    if (data.models.size() != 2 && (pair.weak.empty() || pair.strong.empty()))
      return make_error(Errc::invalid_request, "the data has " + std::to_string(data.models.size()) +
                                                   " models: name the pair with --weak and --strong");
    std::vector<std::pair<double, std::string>> means;
    for (const auto& m : data.models) {
      double sum = 0;
      std::size_t n = 0;
      for (const auto& r : data.rows)
        if (auto it = r.scores.find(m); it != r.scores.end()) { sum += it->second; ++n; }
      means.emplace_back(n ? sum / static_cast<double>(n) : 0.0, m);
    }
    std::sort(means.begin(), means.end());
    if (pair.weak.empty()) pair.weak = means.front().second == pair.strong ? means.back().second : means.front().second;
    if (pair.strong.empty()) pair.strong = means.back().second == pair.weak ? means.front().second : means.back().second;
  }
  if (pair.weak == pair.strong) return make_error(Errc::invalid_request, "the weak and strong models must differ");
  for (std::size_t i = 0; i < data.rows.size(); ++i)
    for (const auto* m : {&pair.weak, &pair.strong})
      if (!data.rows[i].scores.count(*m))
        return make_error(Errc::invalid_request, "row " + data.rows[i].id + " has no outcome for model " + *m);
  return pair;
}

double strong_gain(const LabeledPrompt& row, const ModelPair& pair) {
  return std::clamp(row.scores.at(pair.strong), 0.0, 1.0) - std::clamp(row.scores.at(pair.weak), 0.0, 1.0);
}

}  // namespace fulcrum
