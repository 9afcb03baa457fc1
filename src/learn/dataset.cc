#include "learn/dataset.h"

#include <algorithm>
#include <cmath>
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

// A non-negative whole number, written as an integer or as a number with no
// fraction (2.0, as a float column exports it); nullopt for anything else.
std::optional<std::int64_t> whole_number(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64() >= 0 ? std::optional(v.get_int64()) : std::nullopt;
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (d >= 0 && d < 9.0e18 && d == std::floor(d)) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
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
    // An optional field written as null is absent: tables exported row by row
    // (pandas, SQL) write a missing value that way.
    const auto present = [&](const char* key) -> const boost::json::value* {
      auto it = o->find(key);
      return it == o->end() || it->value().is_null() ? nullptr : &it->value();
    };
    const auto* prompt = present("prompt");
    if (!prompt) return line_error(source, line_no, "prompt", "is required");
    if (!prompt->is_string()) return line_error(source, line_no, "prompt", "must be a string");
    row.prompt = std::string(prompt->get_string());
    // Names may be written as numbers (a question_id): they are read as their digits.
    const auto name = [&](const char* key, std::string& dst) -> std::optional<Error> {
      const auto* x = present(key);
      if (!x) return std::nullopt;
      if (x->is_string()) dst = std::string(x->get_string());
      else if (x->is_int64()) dst = std::to_string(x->get_int64());
      else if (x->is_uint64()) dst = std::to_string(x->get_uint64());
      else return line_error(source, line_no, key, "must be a string or an integer");
      return std::nullopt;
    };
    if (auto e = name("id", row.id)) return *e;
    if (auto e = name("category", row.category)) return *e;
    if (row.id.empty()) row.id = source + ":" + std::to_string(line_no);
    if (auto e = name("conversation", row.conversation)) return *e;
    if (const auto* t = present("turn")) {
      const auto turn = whole_number(*t);
      if (!turn) return line_error(source, line_no, "turn", "must be a non-negative integer");
      // Without a conversation there is nothing to join the turn to: the row
      // is read on its own, and the load says how many were.
      if (row.conversation.empty()) ++out.turns_without_conversation;
      else row.turn = *turn;
    }
    if (const auto* c = present("contaminated")) {
      if (!c->is_bool()) return line_error(source, line_no, "contaminated", "must be true or false");
      row.contaminated = c->get_bool();
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
    if (const auto* m = present("metadata")) {
      if (!m->is_object()) return line_error(source, line_no, "metadata", "must be an object");
      row.metadata_json = boost::json::serialize(*m);
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
