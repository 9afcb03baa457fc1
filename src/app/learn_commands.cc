#include "app/learn_commands.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <unordered_map>

#include <boost/json.hpp>

#include "learn/cross_validation.h"
#include "learn/dataset.h"
#include "learn/domain_classifier.h"
#include "learn/outcome_model.h"
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
  return opt;
}

namespace {

void print_row(const char* name, const RouterMetrics& m) {
  std::printf("| %-22s | %6.3f | %7.2f%% | %7.2f%% | %7.2f%% |\n", name, m.apgr, m.cpt20, m.cpt50, m.cpt80);
}

}  // namespace

int run_train(const TrainCommand& cmd) {
  auto loaded = load_labeled(cmd);
  if (!loaded) return 1;
  std::vector<const LabeledPrompt*> rows;
  for (const auto& r : loaded->data.rows) rows.push_back(&r);
  auto model = OutcomeModel::train(rows, loaded->pair, train_options(cmd));
  if (auto st = model.save(cmd.out_path); !st) {
    std::cerr << "fulcrum: " << st.error().message << '\n';
    return 1;
  }
  std::printf("trained on %zu prompts (weak %s, strong %s); model written to %s\n", rows.size(),
              loaded->pair.weak.c_str(), loaded->pair.strong.c_str(), cmd.out_path.c_str());
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
      const bool ok = model.predict(rows[i].prompt, scratch).domain == truth;
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

int run_eval(const EvalCommand& cmd) {
  if (cmd.folds < 2) {
    std::cerr << "fulcrum: --folds must be at least 2\n";
    return 2;
  }
  auto loaded = load_labeled(cmd);
  if (!loaded) return 1;
  const auto& rows = loaded->data.rows;
  const auto& pair = loaded->pair;
  const std::size_t n = rows.size();

  std::vector<double> learned(n), weak(n), strong(n), length(n), random(n);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::mt19937_64 random_rng(cmd.seed ^ 0xabcdefULL);
  for (std::size_t i = 0; i < n; ++i) {
    weak[i] = rows[i].scores.at(pair.weak);
    strong[i] = rows[i].scores.at(pair.strong);
    length[i] = static_cast<double>(rows[i].prompt.size());
    random[i] = uniform(random_rng);
  }
  const auto held_out = cross_validate(rows, pair, train_options(cmd), cmd.folds, cmd.seed);
  for (std::size_t i = 0; i < n; ++i) learned[i] = held_out.predicted[i].gain;
  const auto& fold = held_out.fold;

  const auto m_learned = routellm_metrics(learned, weak, strong);
  const auto m_length = routellm_metrics(length, weak, strong);
  const auto m_random = routellm_metrics(random, weak, strong);
  std::printf("data: %s, %zu prompts; weak %s %.2f%%, strong %s %.2f%%; %d folds, seed %llu\n\n",
              cmd.data_paths.front().c_str(), n, pair.weak.c_str(), m_learned.weak_quality, pair.strong.c_str(),
              m_learned.strong_quality, cmd.folds, static_cast<unsigned long long>(cmd.seed));
  std::printf("| %-22s | %6s | %8s | %8s | %8s |\n", "router", "APGR", "CPT(20%)", "CPT(50%)", "CPT(80%)");
  std::printf("|------------------------|--------|----------|----------|----------|\n");
  print_row("learned (held-out)", m_learned);
  print_row("prompt length", m_length);
  print_row("random", m_random);
  std::printf("\nlearned - prompt length APGR: %+.3f\n", m_learned.apgr - m_length.apgr);

  if (!cmd.svg_path.empty()) {
    Chart chart;
    chart.title = "Quality vs strong-model calls";
    chart.subtitle = cmd.data_paths.front() + ", " + std::to_string(n) + " prompts, " + std::to_string(cmd.folds) +
                     "-fold held-out; weak " + pair.weak + ", strong " + pair.strong;
    chart.x_label = "calls to " + pair.strong + " (%)";
    chart.y_label = "quality (mean score, %)";
    chart.y_format = "%.0f%%";
    chart.x_format = "%.0f%%";
    auto curve = [](const char* name, const char* color, const RouterMetrics& m) {
      ChartSeries s{ChartSeries::Style::line, name, color, {}, false};
      for (const auto& p : m.curve) s.points.push_back(ChartPoint{p.strong_percent, p.quality, ""});
      return s;
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
  if (!cmd.dump_scores_path.empty()) {
    std::ofstream out(cmd.dump_scores_path, std::ios::trunc);
    if (!out) {
      std::cerr << "fulcrum: " << cmd.dump_scores_path << ": cannot write\n";
      return 1;
    }
    for (std::size_t i = 0; i < n; ++i) {
      boost::json::object o;
      o["id"] = rows[i].id;
      o["score"] = learned[i];
      o["fold"] = fold[i];
      out << boost::json::serialize(o) << '\n';
    }
  }
  return 0;
}

}  // namespace fulcrum
