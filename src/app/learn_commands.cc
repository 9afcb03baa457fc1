#include "app/learn_commands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <unordered_map>

#include <boost/json.hpp>

#include "learn/calibration.h"
#include "learn/cross_validation.h"
#include "learn/dataset.h"
#include "learn/domain_classifier.h"
#include "learn/outcome_model.h"
#include "learn/partial_outcomes.h"
#include "ledger/ledger_reader.h"
#include "learn/routellm_metrics.h"
#include "report/svg_chart.h"

namespace fulcrum {

std::optional<Dataset> load_rows(const LearnOptions& o) {
  DatasetOptions dopt;
  dopt.drop_contaminated = !o.keep_contaminated;
  Dataset all;
  for (const auto& path : o.data_paths) {
    auto data = load_dataset(path, dopt);
    if (!data) {
      std::cerr << "fulcrum: " << data.error().message << '\n';
      return std::nullopt;
    }
    if (!data->score_scale.empty())
      std::cerr << "note: " << path << ": scores on a " << data->score_scale << " scale, normalised to 0-1\n";
    if (data->turns_without_conversation)
      std::cerr << "note: " << path << ": " << data->turns_without_conversation
                << " rows give a turn but no conversation; each is read as a prompt of its own\n";
    for (auto& r : data->rows) all.rows.push_back(std::move(r));
    for (auto& m : data->models)
      if (std::find(all.models.begin(), all.models.end(), m) == all.models.end()) all.models.push_back(m);
  }
  std::sort(all.models.begin(), all.models.end());
  return all;
}

std::optional<LabeledData> load_labeled(const LearnOptions& o) {
  auto all = load_rows(o);
  if (!all) return std::nullopt;
  auto pair = choose_pair(*all, o.weak, o.strong);
  if (!pair) {
    std::cerr << "fulcrum: " << pair.error().message << '\n';
    return std::nullopt;
  }
  return LabeledData{std::move(*all), std::move(pair.value())};
}

OutcomeTrainOptions train_options(const LearnOptions& o) {
  OutcomeTrainOptions opt;
  opt.sgd.seed = o.seed;
  opt.gain_sgd.seed = o.seed;
  opt.features.hash_bits = o.hash_bits;
  if (o.shape_weight) opt.shape_weight = *o.shape_weight;
  if (o.hardness_weight) opt.hardness_weight = *o.hardness_weight;
  if (o.familiarity_floor) opt.familiarity_floor = *o.familiarity_floor;
  if (o.kind_weight) opt.kind_weight = *o.kind_weight;
  if (o.set_aside_z) opt.set_aside_z = *o.set_aside_z;
  return opt;
}

namespace {

// What phrase familiarity (learn/phrase_familiarity.h) will do with this model.
std::string familiarity_note(const OutcomeModel& model) {
  const auto& f = model.familiarity();
  const auto& b = model.blend();
  char line[320];
  if (!b.reads_familiarity())
    std::snprintf(line, sizeof line, "phrase familiarity: off (--familiarity-floor 1 --kind-weight 0)");
  else if (!f.in_use())
    std::snprintf(line, sizeof line,
                  "phrase familiarity: not used: the median training prompt shares %.1f%% of its word trigrams with "
                  "two others, too few to tell prompts like them from others",
                  100 * f.reference());
  else
    std::snprintf(line, sizeof line,
                  "phrase familiarity: the median training prompt shares %.1f%% of its word trigrams with two others; "
                  "on a prompt that shares fewer, what the score learned from words counts down to %.0f%%",
                  100 * f.reference(), 100 * b.familiarity_floor);
  std::string note = line;
  if (f.in_use() && b.kind_weight > 0) {
    std::snprintf(line, sizeof line,
                  "\ntask kind: on such prompts the kind of work their words ask for (code, math, reasoning and "
                  "extraction up; writing, role-play, chat and humanities down) counts up to %.2f x the score's spread",
                  b.kind_weight);
    note += line;
  }
  return note;
}

}  // namespace

// Says which categories training set aside (OutcomeTrainOptions::set_aside_z),
// or nothing when none was.
std::string set_aside_note(const std::vector<std::string>& categories, const ModelPair& pair,
                           const OutcomeTrainOptions& options) {
  if (categories.empty()) return {};
  std::string names;
  for (const auto& c : categories) names += (names.empty() ? "" : ", ") + (c.empty() ? std::string("(none)") : c);
  char z[32];
  std::snprintf(z, sizeof z, "%g", options.set_aside_z);
  return "set aside from the gain, shape and category prior models: " + names + " (" + pair.strong +
         " scores lower than " + pair.weak + " there, beyond " + z + " standard errors)";
}

std::optional<TrainingRows> load_training_rows(const LearnOptions& o, bool complete) {
  TrainingRows out;
  if (!o.data_paths.empty()) {
    auto loaded = load_labeled(o);
    if (!loaded) return std::nullopt;
    out.rows = std::move(loaded->data.rows);
    out.pair = std::move(loaded->pair);
  } else {
    out.pair = ModelPair{o.weak_tier, o.strong_tier};
  }
  if (o.ledger_path.empty()) return out;
  if (o.weak_tier == o.strong_tier) {
    std::cerr << "fulcrum: --weak-tier and --strong-tier must differ\n";
    return std::nullopt;
  }
  auto judged = judged_prompts(o.ledger_path);
  if (!judged) {
    std::cerr << "fulcrum: " << judged.error().message << '\n';
    return std::nullopt;
  }
  std::map<std::string, std::size_t> per_tier;
  std::size_t other = 0;
  const auto base = out.rows.size();
  for (auto& j : *judged) {
    const std::string* model = j.tier == o.weak_tier ? &out.pair.weak : j.tier == o.strong_tier ? &out.pair.strong : nullptr;
    if (!model) {
      ++other;
      continue;
    }
    ++per_tier[j.tier];
    out.ledger_on_weak.push_back(j.tier == o.weak_tier);
    LabeledPrompt row;
    row.id = j.request_id;
    row.prompt = std::move(j.prompt);
    row.scores[*model] = std::clamp(j.score, 0.0, 1.0);
    out.rows.push_back(std::move(row));
  }
  out.from_ledger = out.rows.size() - base;
  std::printf("ledger %s: %zu judged requests with a captured prompt (%s %zu, %s %zu", LedgerLocation(o.ledger_path).display().c_str(),
              out.from_ledger, o.weak_tier.c_str(), per_tier[o.weak_tier], o.strong_tier.c_str(), per_tier[o.strong_tier]);
  if (other) std::printf("; %zu on other tiers, not used", other);
  std::printf(")\n");
  if (out.from_ledger == 0) {
    std::cerr << "fulcrum: " << LedgerLocation(o.ledger_path).display() << " has no judged requests on " << o.weak_tier << " or "
              << o.strong_tier << " with a captured prompt: set ledger.capture: prompts and send feedback "
              << "(POST /v1/feedback)\n";
    return std::nullopt;
  }
  if (!complete) return out;
  auto completed = complete_outcomes(std::move(out.rows), out.pair, train_options(o));
  if (!completed) {
    std::cerr << "fulcrum: " << LedgerLocation(o.ledger_path).display() << ": " << completed.error().message << '\n';
    return std::nullopt;
  }
  std::printf("each judged the tier that answered it; %zu outcomes of the other tier predicted\n", completed->imputed);
  out.rows = std::move(completed->rows);
  return out;
}

namespace {

void print_row(const char* name, const RouterMetrics& m) {
  std::printf("| %-22s | %6.3f | %7.2f%% | %7.2f%% | %7.2f%% |\n", name, m.apgr, m.cpt20, m.cpt50, m.cpt80);
}

}  // namespace

int run_train(const TrainCommand& cmd) {
  if (cmd.data_paths.empty() && cmd.ledger_path.empty()) {
    std::cerr << "fulcrum train: give --data FILE, --ledger DB, or both\n";
    return 2;
  }
  auto loaded = load_training_rows(cmd);
  if (!loaded) return 1;
  std::vector<const LabeledPrompt*> rows;
  for (const auto& r : loaded->rows) rows.push_back(&r);
  auto model = OutcomeModel::train(rows, loaded->pair, train_options(cmd));
  if (auto st = model.save(cmd.out_path); !st) {
    std::cerr << "fulcrum: " << st.error().message << '\n';
    return 1;
  }
  std::printf("trained on %zu prompts (weak %s, strong %s); model written to %s\n", rows.size(),
              loaded->pair.weak.c_str(), loaded->pair.strong.c_str(), cmd.out_path.c_str());
  if (const auto note = set_aside_note(model.set_aside(), loaded->pair, train_options(cmd)); !note.empty())
    std::printf("%s\n", note.c_str());
  std::printf("%s\n", familiarity_note(model).c_str());
  if (const auto n = model.prior_categories())
    std::printf("category prior: %zu categories, %.0f%% of the routing score\n", n, 100 * model.prior_share());
  else
    std::printf("category prior: none (the rows carry fewer than two categories)\n");
  return 0;
}

int run_train_domains(const TrainDomainsCommand& cmd) {
  // Domains need no model pair: just the rows.
  auto loaded = load_rows(cmd);
  if (!loaded) return 1;
  const auto& rows = loaded->rows;
  FeatureOptions features;
  features.hash_bits = cmd.hash_bits;
  TrainOptions sgd{8, 0.05, 1e-6, cmd.seed};
  std::vector<int> fold(rows.size());
  std::mt19937_64 rng(cmd.seed);
  for (auto& f : fold) f = static_cast<int>(rng() % static_cast<std::uint64_t>(cmd.folds));
  std::map<std::string_view, std::pair<int, int>> per_domain;  // correct, total
  int correct = 0;
  std::vector<Feature> scratch;
  for (int f = 0; f < cmd.folds; ++f) {
    std::vector<const LabeledPrompt*> train;
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (fold[i] != f) train.push_back(&rows[i]);
    auto model = DomainClassifier::train(train, features, sgd);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (fold[i] != f) continue;
      const auto truth = domain_of_category(rows[i].category);
      const bool ok = model.predict(rows[i].routed_text(), scratch).domain == truth;
      correct += ok;
      per_domain[truth].first += ok;
      per_domain[truth].second += 1;
    }
  }
  int majority = 0;
  for (const auto& [d, ct] : per_domain) majority = std::max(majority, ct.second);
  std::printf("domain classifier, %d-fold held-out accuracy on %zu prompts: %.3f (majority class: %.3f)\n",
              cmd.folds, rows.size(), static_cast<double>(correct) / static_cast<double>(rows.size()),
              static_cast<double>(majority) / static_cast<double>(rows.size()));
  for (const auto& [d, ct] : per_domain)
    std::printf("  %-8s %5d prompts, recall %.3f\n", std::string(d).c_str(), ct.second,
                static_cast<double>(ct.first) / ct.second);
  std::vector<const LabeledPrompt*> all;
  for (const auto& r : rows) all.push_back(&r);
  if (auto st = DomainClassifier::train(all, features, sgd).save(cmd.out_path); !st) {
    std::cerr << "fulcrum: " << st.error().message << '\n';
    return 1;
  }
  std::printf("model written to %s\n", cmd.out_path.c_str());
  return 0;
}

namespace {

// What eval reports on, from k folds or from a train/test split alike.
struct ScoredRows {
  std::string description;                   // the first line of the report
  std::vector<const LabeledPrompt*> rows;
  std::vector<TierProbabilities> predicted;  // per row, from a model that never saw it
  std::vector<int> fold;                     // per row; -1 for a test set
  std::vector<ScoreParts> parts;             // per row when --dump-scores asks for it
};

// Random routing's APGR over many draws: its mean and spread tell how noisy a set is.
struct RandomBaseline {
  RouterMetrics mean;
  double apgr_sd = 0;
};

RandomBaseline random_baseline(const std::vector<double>& weak, const std::vector<double>& strong, std::uint64_t seed,
                               int draws) {
  std::mt19937_64 rng(seed ^ 0xabcdefULL);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> scores(weak.size());
  RandomBaseline out;
  double sum = 0, sum_sq = 0;
  for (int d = 0; d < draws; ++d) {
    for (auto& x : scores) x = uniform(rng);
    auto m = routellm_metrics(scores, weak, strong);
    sum += m.apgr;
    sum_sq += m.apgr * m.apgr;
    out.mean.cpt20 += m.cpt20 / draws;
    out.mean.cpt50 += m.cpt50 / draws;
    out.mean.cpt80 += m.cpt80 / draws;
    if (d == 0) out.mean.curve = m.curve;
  }
  out.mean.apgr = sum / draws;
  out.apgr_sd = std::sqrt(std::max(0.0, sum_sq / draws - out.mean.apgr * out.mean.apgr));
  return out;
}

Status write_reliability_svg(const std::string& path, const std::string& subtitle, const ModelPair& pair,
                             const Calibration& weak, const Calibration& strong) {
  Chart chart;
  chart.title = "Reliability: predicted vs observed P(good answer)";
  chart.subtitle = subtitle;
  chart.x_label = "predicted probability (%)";
  chart.y_label = "observed mean score (%)";
  chart.x_format = "%.0f%%";
  chart.y_format = "%.0f%%";
  ChartSeries diagonal{ChartSeries::Style::dashed, "perfectly calibrated", "#999", {}, false};
  diagonal.points = {ChartPoint{0, 0, ""}, ChartPoint{100, 100, ""}};
  auto series = [](const std::string& name, const char* color, const Calibration& c) {
    char label[160];
    std::snprintf(label, sizeof label, "%s (ECE %.3f, Brier %.3f)", name.c_str(), c.ece, c.brier);
    ChartSeries s{ChartSeries::Style::line, label, color, {}, false};
    for (const auto& b : c.bins)
      if (b.rows > 0) s.points.push_back(ChartPoint{100 * b.mean_predicted, 100 * b.mean_observed, ""});
    return s;
  };
  chart.series = {diagonal, series(pair.weak, "#ff7f0e", weak), series(pair.strong, "#1f77b4", strong)};
  std::ofstream svg(path, std::ios::trunc);
  svg << render_svg(chart);
  if (!svg) return make_error(Errc::internal, path + ": cannot write");
  return Ok{};
}

int report_eval(const EvalCommand& cmd, const ModelPair& pair, const ScoredRows& s) {
  const std::size_t n = s.rows.size();
  std::vector<double> learned(n), weak(n), strong(n), length(n), p_weak(n), p_strong(n);
  for (std::size_t i = 0; i < n; ++i) {
    weak[i] = std::clamp(s.rows[i]->scores.at(pair.weak), 0.0, 1.0);
    strong[i] = std::clamp(s.rows[i]->scores.at(pair.strong), 0.0, 1.0);
    length[i] = static_cast<double>(s.rows[i]->routed_text().size());
    learned[i] = s.predicted[i].gain;
    p_weak[i] = s.predicted[i].weak;
    p_strong[i] = s.predicted[i].strong;
  }
  const auto m_learned = routellm_metrics(learned, weak, strong);
  const auto m_length = routellm_metrics(length, weak, strong);
  const auto random = random_baseline(weak, strong, cmd.seed, 200);
  std::printf("%s\nweak %s %.2f%%, strong %s %.2f%%\n\n", s.description.c_str(), pair.weak.c_str(),
              m_learned.weak_quality, pair.strong.c_str(), m_learned.strong_quality);
  std::printf("| %-22s | %6s | %8s | %8s | %8s |\n", "router", "APGR", "CPT(20%)", "CPT(50%)", "CPT(80%)");
  std::printf("|------------------------|--------|----------|----------|----------|\n");
  print_row("learned (held-out)", m_learned);
  print_row("prompt length", m_length);
  print_row("random (mean of 200)", random.mean);
  std::printf("\nlearned - prompt length APGR: %+.3f; random APGR sd %.3f over 200 draws\n",
              m_learned.apgr - m_length.apgr, random.apgr_sd);
  if (std::all_of(learned.begin(), learned.end(), [&](double x) { return x == learned.front(); }))
    std::printf("warning: the learned router gave every prompt the same score: it cannot rank them (are the "
                "training outcomes all alike?)\n");

  const auto cal_weak = calibration(p_weak, weak), cal_strong = calibration(p_strong, strong);
  std::printf("\n| %-34s | %6s | %6s |\n", "probability model (held-out)", "Brier", "ECE");
  std::printf("|------------------------------------|--------|--------|\n");
  std::printf("| %-34s | %6.3f | %6.3f |\n", ("P(" + pair.weak + " good)").c_str(), cal_weak.brier, cal_weak.ece);
  std::printf("| %-34s | %6.3f | %6.3f |\n", ("P(" + pair.strong + " good)").c_str(), cal_strong.brier, cal_strong.ece);

  if (!cmd.svg_path.empty()) {
    Chart chart;
    chart.title = "Quality vs strong-model calls";
    chart.subtitle = s.description + "; weak " + pair.weak + ", strong " + pair.strong;
    chart.x_label = "calls to " + pair.strong + " (%)";
    chart.y_label = "quality (mean score, %)";
    chart.y_format = "%.0f%%";
    chart.x_format = "%.0f%%";
    auto curve = [](const char* name, const char* color, const RouterMetrics& m) {
      ChartSeries series{ChartSeries::Style::line, name, color, {}, false};
      for (const auto& p : m.curve) series.points.push_back(ChartPoint{p.strong_percent, p.quality, ""});
      return series;
    };
    char learned_name[64];
    std::snprintf(learned_name, sizeof learned_name, "learned (APGR %.3f)", m_learned.apgr);
    char length_name[64];
    std::snprintf(length_name, sizeof length_name, "prompt length (APGR %.3f)", m_length.apgr);
    ChartSeries ends{ChartSeries::Style::markers, "", "#444", {}, false};
    ends.points.push_back(ChartPoint{0, m_learned.weak_quality, "all " + pair.weak});
    ends.points.push_back(ChartPoint{100, m_learned.strong_quality, "all " + pair.strong});
    ChartSeries random_line{ChartSeries::Style::dashed, "random", "#999", {}, false};
    random_line.points = {ChartPoint{0, m_learned.weak_quality, ""}, ChartPoint{100, m_learned.strong_quality, ""}};
    chart.series = {random_line, curve(length_name, "#ff7f0e", m_length), curve(learned_name, "#1f77b4", m_learned), ends};
    std::ofstream svg(cmd.svg_path, std::ios::trunc);
    svg << render_svg(chart);
    if (!svg) {
      std::cerr << "fulcrum: " << cmd.svg_path << ": cannot write\n";
      return 1;
    }
  }
  if (!cmd.reliability_svg_path.empty())
    if (auto st = write_reliability_svg(cmd.reliability_svg_path, s.description, pair, cal_weak, cal_strong); !st) {
      std::cerr << "fulcrum: " << st.error().message << '\n';
      return 1;
    }
  if (!cmd.dump_scores_path.empty()) {
    std::ofstream out(cmd.dump_scores_path, std::ios::trunc);
    if (!out) {
      std::cerr << "fulcrum: " << cmd.dump_scores_path << ": cannot write\n";
      return 1;
    }
    for (std::size_t i = 0; i < n; ++i) {
      boost::json::object o;
      o["id"] = s.rows[i]->id;
      o["score"] = learned[i];
      o["p_weak"] = p_weak[i];
      o["p_strong"] = p_strong[i];
      o["fold"] = s.fold[i];
      if (i < s.parts.size()) {
        const auto& p = s.parts[i];
        o["lexical_gain"] = p.lexical_gain;
        o["prior_gain"] = p.prior_gain;
        o["shape_margin"] = p.shape_margin;
        o["familiarity"] = p.familiarity;
        o["trigram_coverage"] = p.trigram_coverage;
        o["task_kind"] = p.task_kind.kind();
        o["task_demand"] = p.task_kind.demand();
        boost::json::array shape;
        for (double x : p.shape) shape.push_back(x);
        o["shape"] = std::move(shape);
      }
      out << boost::json::serialize(o) << '\n';
    }
  }
  return 0;
}

std::string joined(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " + ") + p;
  return out;
}

// Trained on every --train row, scored on every --test row.
int run_eval_transfer(const EvalCommand& cmd) {
  LearnOptions train_opts = cmd;
  train_opts.data_paths = cmd.train_paths;
  auto train = load_labeled(train_opts);
  if (!train) return 1;
  LearnOptions test_opts = cmd;
  test_opts.data_paths = cmd.test_paths;
  auto test = load_rows(test_opts);
  if (!test) return 1;
  // The test data's weak and strong models: the training pair's when it has
  // them (and none is named), else named or picked by mean score as --data's are.
  const auto has = [&](const std::string& m) {
    return std::find(test->models.begin(), test->models.end(), m) != test->models.end();
  };
  const bool same_names =
      cmd.test_weak.empty() && cmd.test_strong.empty() && has(train->pair.weak) && has(train->pair.strong);
  if (!same_names && (cmd.test_weak.empty() || cmd.test_strong.empty()) && test->models.size() != 2) {
    std::cerr << "fulcrum: --test: the data has " << test->models.size() << " models and not both of the training pair ("
              << train->pair.weak << ", " << train->pair.strong << "): name its pair with --test-weak and --test-strong\n";
    return 1;
  }
  auto test_pair = same_names ? choose_pair(*test, train->pair.weak, train->pair.strong)
                              : choose_pair(*test, cmd.test_weak, cmd.test_strong);
  if (!test_pair) {
    std::cerr << "fulcrum: --test: " << test_pair.error().message << '\n';
    return 1;
  }
  std::vector<const LabeledPrompt*> train_rows;
  for (const auto& r : train->data.rows) train_rows.push_back(&r);
  const auto model = OutcomeModel::train(train_rows, train->pair, train_options(cmd));
  ScoredRows s;
  s.description = "trained on " + joined(cmd.train_paths) + " (" + std::to_string(train_rows.size()) +
                  " prompts), scored on " + joined(cmd.test_paths) + " (" + std::to_string(test->rows.size()) +
                  " prompts); seed " + std::to_string(cmd.seed);
  if (!same_names)
    s.description += "\nthe test data's " + test_pair->weak + " and " + test_pair->strong + " stand for " + train->pair.weak +
                     " and " + train->pair.strong;
  if (const auto note = set_aside_note(model.set_aside(), train->pair, train_options(cmd)); !note.empty())
    s.description += "\n" + note;
  std::vector<Feature> scratch;
  for (const auto& r : test->rows) {
    s.rows.push_back(&r);
    s.predicted.push_back(model.probabilities(r.routed_text(), scratch));
    s.fold.push_back(-1);
    if (!cmd.dump_scores_path.empty()) s.parts.push_back(model.parts(r.routed_text(), scratch));
  }
  s.description += "\n" + familiarity_note(model);
  if (model.blend().reads_familiarity() && model.familiarity().in_use() && !s.predicted.empty()) {
    double sum = 0;
    for (const auto& p : s.predicted) sum += p.familiarity;
    char line[96];
    std::snprintf(line, sizeof line, "; the test prompts' mean familiarity %.2f", sum / static_cast<double>(s.predicted.size()));
    s.description += line;
  }
  return report_eval(cmd, *test_pair, s);
}

}  // namespace

namespace {

// The area under the ROC curve of `score` separating positives from negatives.
double auc(const std::vector<double>& pos, const std::vector<double>& neg) {
  if (pos.empty() || neg.empty()) return 0.5;
  double wins = 0;
  for (double p : pos)
    for (double n : neg) wins += p > n ? 1 : p == n ? 0.5 : 0;
  return wins / (static_cast<double>(pos.size()) * static_cast<double>(neg.size()));
}

// What a model trained on the rest would have done with each judged request
// of the ledger (k folds over the ledger's rows; --data rows always train).
int run_eval_ledger(const EvalCommand& cmd) {
  auto loaded = load_training_rows(cmd, /*complete=*/false);
  if (!loaded) return 1;
  const auto base = loaded->rows.size() - loaded->from_ledger;
  const std::vector<LabeledPrompt> ledger_rows(loaded->rows.begin() + static_cast<std::ptrdiff_t>(base), loaded->rows.end());
  const auto fold = assign_folds(ledger_rows, cmd.folds, cmd.seed);
  std::vector<double> score(ledger_rows.size());
  std::vector<Feature> scratch;
  for (int f = 0; f < cmd.folds; ++f) {
    // The held-out fold's outcomes take no part, not even in predicting the training rows' other tier.
    std::vector<LabeledPrompt> train_rows(loaded->rows.begin(), loaded->rows.begin() + static_cast<std::ptrdiff_t>(base));
    for (std::size_t i = 0; i < ledger_rows.size(); ++i)
      if (fold[i] != f) train_rows.push_back(ledger_rows[i]);
    auto completed = complete_outcomes(std::move(train_rows), loaded->pair, train_options(cmd));
    if (!completed) {
      std::cerr << "fulcrum: " << LedgerLocation(cmd.ledger_path).display() << " (fold " << f << "): " << completed.error().message << '\n';
      return 1;
    }
    std::vector<const LabeledPrompt*> train;
    for (const auto& r : completed->rows) train.push_back(&r);
    const auto model = OutcomeModel::train(train, loaded->pair, train_options(cmd));
    for (std::size_t i = 0; i < ledger_rows.size(); ++i)
      if (fold[i] == f) score[i] = model.probabilities(ledger_rows[i].routed_text(), scratch).gain;
  }
  // The top 30% by held-out score would go to the strong tier.
  std::vector<double> sorted = score;
  std::sort(sorted.begin(), sorted.end());
  const double cut = quantile_sorted(sorted, 0.7);
  std::vector<double> weak_wrong, weak_right;
  std::size_t strong_n = 0, strong_kept_right = 0, strong_moved_right = 0;
  for (std::size_t i = 0; i < ledger_rows.size(); ++i) {
    const bool on_weak = loaded->ledger_on_weak[i];
    const double observed = ledger_rows[i].scores.at(on_weak ? loaded->pair.weak : loaded->pair.strong);
    if (on_weak) {
      (observed < 0.5 ? weak_wrong : weak_right).push_back(score[i]);
    } else {
      ++strong_n;
      if (observed >= 0.5) (score[i] >= cut ? strong_kept_right : strong_moved_right) += 1;
    }
  }
  auto share_above = [&](const std::vector<double>& v) {
    return v.empty() ? 0.0 : 100.0 * static_cast<double>(std::count_if(v.begin(), v.end(), [&](double x) { return x >= cut; })) /
                                 static_cast<double>(v.size());
  };
  std::printf("\nheld-out over %d folds of the ledger's %zu judged requests (seed %llu)%s:\n", cmd.folds,
              ledger_rows.size(), static_cast<unsigned long long>(cmd.seed),
              base ? (", every --data row also training (" + std::to_string(base) + ")").c_str() : "");
  std::printf("  %s answers judged wrong: %zu; judged right: %zu\n", cmd.weak_tier.c_str(), weak_wrong.size(), weak_right.size());
  std::printf("  how well the score separates them (AUC): %.3f (0.5 is chance)\n", auc(weak_wrong, weak_right));
  std::printf("  sending the top 30%% by score to %s would have escalated %.1f%% of the %s answers judged wrong "
              "and %.1f%% of those judged right\n",
              cmd.strong_tier.c_str(), share_above(weak_wrong), cmd.weak_tier.c_str(), share_above(weak_right));
  if (strong_n)
    std::printf("  of %zu %s answers, %zu judged right would have gone to %s instead (the model expects little gain)\n",
                strong_n, cmd.strong_tier.c_str(), strong_moved_right, cmd.weak_tier.c_str());
  (void)strong_kept_right;
  return 0;
}

}  // namespace

int run_eval(const EvalCommand& cmd) {
  if (!cmd.ledger_path.empty()) {
    if (cmd.folds < 2) {
      std::cerr << "fulcrum: --folds must be at least 2\n";
      return 2;
    }
    return run_eval_ledger(cmd);
  }
  const bool transfer = !cmd.train_paths.empty() || !cmd.test_paths.empty();
  if (transfer == !cmd.data_paths.empty() || (transfer && (cmd.train_paths.empty() || cmd.test_paths.empty()))) {
    std::cerr << "fulcrum eval: give --data FILE (k-fold held-out), or --train FILE and --test FILE (trained on "
                 "one set, scored on another)\n";
    return 2;
  }
  if (transfer) return run_eval_transfer(cmd);
  if (cmd.folds < 2) {
    std::cerr << "fulcrum: --folds must be at least 2\n";
    return 2;
  }
  auto loaded = load_labeled(cmd);
  if (!loaded) return 1;
  const auto held_out = cross_validate(loaded->data.rows, loaded->pair, train_options(cmd), cmd.folds, cmd.seed);
  ScoredRows s;
  s.description = "data: " + joined(cmd.data_paths) + ", " + std::to_string(loaded->data.rows.size()) + " prompts; " +
                  std::to_string(cmd.folds) + " folds, seed " + std::to_string(cmd.seed);
  for (const auto& r : loaded->data.rows) s.rows.push_back(&r);
  // Each fold's model decides for itself; the whole set shows what they see.
  const auto options = train_options(cmd);
  const auto aside = options.set_aside_z > 0 ? contradicting_categories(s.rows, loaded->pair, options.set_aside_z)
                                             : std::vector<std::string>{};
  if (const auto note = set_aside_note(aside, loaded->pair, options); !note.empty())
    s.description += "\n" + note + ", in each fold where it holds";
  s.predicted = held_out.predicted;
  s.fold = held_out.fold;
  if (!cmd.dump_scores_path.empty()) {
    std::vector<Feature> scratch;
    for (std::size_t i = 0; i < s.rows.size(); ++i)
      s.parts.push_back(held_out.models[static_cast<std::size_t>(s.fold[i])].parts(s.rows[i]->routed_text(), scratch));
  }
  return report_eval(cmd, loaded->pair, s);
}

}  // namespace fulcrum
