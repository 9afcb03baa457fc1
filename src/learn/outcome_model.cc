#include "learn/outcome_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <charconv>
#include <fstream>
#include <numeric>
#include <random>
#include <cstdlib>
#include <map>
#include <sstream>

namespace fulcrum {

namespace {

// (strong - weak + 1) / 2: the gain of the strong tier as a soft label in [0, 1].
double gain_label(const LabeledPrompt& r, const ModelPair& pair) {
  return (strong_gain(r, pair) + 1) / 2;
}

// Each category's mean gain label, shrunk toward the overall mean by
// `strength` pseudo-rows so that a small category does not swing it.
std::map<std::string, double> category_gain_prior(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                                                  double strength) {
  std::map<std::string, std::pair<double, double>> sums;  // category -> (sum, count)
  double total = 0;
  for (const auto* r : rows) {
    const double g = gain_label(*r, pair);
    auto& s = sums[r->category];
    s.first += g;
    s.second += 1;
    total += g;
  }
  const double overall = rows.empty() ? 0.5 : total / static_cast<double>(rows.size());
  std::map<std::string, double> prior;
  for (const auto& [category, s] : sums) prior[category] = (s.first + strength * overall) / (s.second + strength);
  return prior;
}

}  // namespace

std::vector<std::string> contradicting_categories(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                                                  double z) {
  std::map<std::string, std::array<double, 3>> sums;  // category -> (count, sum, sum of squares) of the gain
  for (const auto* r : rows) {
    const double g = strong_gain(*r, pair);
    auto& s = sums[r->category];
    s[0] += 1, s[1] += g, s[2] += g * g;
  }
  std::vector<std::string> out;
  if (sums.size() < 2) return out;  // one category: it is the pair's ordering itself
  for (const auto& [category, s] : sums) {
    if (s[0] < 2) continue;
    const double mean = s[1] / s[0];
    const double var = std::max(0.0, (s[2] - s[0] * mean * mean) / (s[0] - 1));
    if (mean + z * std::sqrt(var / s[0]) < 0) out.push_back(category);
  }
  return out;
}

OutcomeModel OutcomeModel::train(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                                 const OutcomeTrainOptions& o) {
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.sgd.seed ^ 0x5eedULL);
  std::shuffle(order.begin(), order.end(), rng);
  const auto n_cal = static_cast<std::size_t>(static_cast<double>(rows.size()) * o.calibration_fraction);

  std::vector<std::vector<Feature>> fit_x, cal_x;
  std::vector<double> fit_w, fit_s, cal_w, cal_s;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& r = *rows[order[k]];
    std::vector<Feature> f;
    extract_text_features(r.routed_text(), o.features, f);
    const bool cal = k < n_cal;
    (cal ? cal_x : fit_x).push_back(std::move(f));
    (cal ? cal_w : fit_w).push_back(std::clamp(r.scores.at(pair.weak), 0.0, 1.0));
    (cal ? cal_s : fit_s).push_back(std::clamp(r.scores.at(pair.strong), 0.0, 1.0));
  }
  LogisticModel weak(o.features.hash_bits), strong(o.features.hash_bits);
  weak.train(fit_x, fit_w, o.sgd);
  strong.train(fit_x, fit_s, o.sgd);
  IsotonicMap weak_map, strong_map;
  if (!cal_x.empty()) {
    weak.calibrate(cal_x, cal_w);
    strong.calibrate(cal_x, cal_s);
    std::vector<double> pw(cal_x.size()), ps(cal_x.size());
    for (std::size_t i = 0; i < cal_x.size(); ++i) {
      pw[i] = weak.predict(cal_x[i]);
      ps[i] = strong.predict(cal_x[i]);
    }
    weak_map = IsotonicMap::fit(pw, cal_w);
    strong_map = IsotonicMap::fit(ps, cal_s);
  }
  // The gain model needs no calibration: it learns from every training row.
  // Its soft label blends the row's own gain with its category's mean gain,
  // which the category's many rows estimate far better than one noisy 0/1
  // outcome pair can (the category is known in training only; routing reads
  // the prompt alone).
  // Rows of a category the strong tier reliably loses are set aside from the
  // models that score the gain (the gain, shape and category prior models);
  // the per-tier models above keep them.
  const auto set_aside = o.set_aside_z > 0 ? contradicting_categories(rows, pair, o.set_aside_z)
                                           : std::vector<std::string>{};
  const auto kept = [&](const LabeledPrompt& r) {
    return std::find(set_aside.begin(), set_aside.end(), r.category) == set_aside.end();
  };
  std::vector<const LabeledPrompt*> gain_rows;
  for (const auto* r : rows)
    if (kept(*r)) gain_rows.push_back(r);
  const auto prior = category_gain_prior(gain_rows, pair, o.category_prior_strength);
  const double w_prior = prior.size() > 1 ? o.category_prior_weight : 0.0;  // one category: nothing to learn
  std::vector<std::vector<Feature>> gain_x;
  std::vector<double> gain_y;
  gain_x.reserve(rows.size());
  gain_y.reserve(rows.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& r = *rows[order[k]];
    if (!kept(r)) continue;
    const double own = gain_label(r, pair);
    gain_y.push_back((1 - w_prior) * own + w_prior * prior.at(r.category));
    gain_x.push_back(k < n_cal ? std::move(cal_x[k]) : std::move(fit_x[k - n_cal]));
  }
  LogisticModel gain(o.features.hash_bits);
  gain.train(gain_x, gain_y, o.gain_sgd);
  auto category_prior =
      CategoryPrior::train(gain_rows, pair, {o.category_prior_smoothing, o.category_prior_strength});
  OutcomeModel model(pair, o.features, std::move(weak), std::move(strong), std::move(gain), std::move(category_prior),
                     o.category_prior_share);
  model.set_aside_ = set_aside;
  model.weak_map_ = std::move(weak_map);
  model.strong_map_ = std::move(strong_map);

  // The shape model learns "the strong tier wins" from the kept rows; the blend's
  // means and spreads are measured on the same rows.
  std::vector<ShapeVector> shapes;
  std::vector<double> wins;
  shapes.reserve(gain_rows.size());
  wins.reserve(gain_rows.size());
  {
    std::vector<Feature> scratch;
    PromptWords words;
    for (const auto* r : gain_rows) {
      extract_text_features(r->routed_text(), o.features, scratch, false, &words);
      shapes.push_back(prompt_shape(r->routed_text(), words));
      wins.push_back(strong_gain(*r, pair) > 0 ? 1.0 : 0.0);
    }
  }
  model.shape_ = ShapeModel::train(shapes, wins);
  {
    // Phrase familiarity learns from every training prompt: each is what the
    // per-tier models saw, and all but the set-aside ones what the gain models saw.
    std::vector<PromptWords> words;
    words.reserve(rows.size());
    std::vector<Feature> scratch;
    for (const auto* r : rows) words.push_back(prompt_words(r->routed_text(), scratch));
    model.familiarity_ = PhraseFamiliarity::train(words);
  }
  struct Moments {
    double sum = 0, sq = 0;
    void add(double x) { sum += x, sq += x * x; }
    std::pair<double, double> mean_sd(double n) const {
      const double mean = sum / n;
      return {mean, std::sqrt(std::max(0.0, sq / n - mean * mean))};
    }
  } g, h, s;
  {
    std::vector<Feature> scratch;
    for (std::size_t i = 0; i < gain_rows.size(); ++i) {
      PromptWords words;
      const double inv_norm = extract_text_features(gain_rows[i]->routed_text(), o.features, scratch, false, &words);
      const auto p = model.lexical(scratch, inv_norm, words);
      g.add(p.gain);
      h.add(1 - p.weak);
      s.add(model.shape_.margin(shapes[i]));
    }
  }
  const double n = static_cast<double>(std::max<std::size_t>(gain_rows.size(), 1));
  ScoreBlend b;
  std::tie(b.gain_mean, b.gain_sd) = g.mean_sd(n);
  std::tie(b.hardness_mean, b.hardness_sd) = h.mean_sd(n);
  std::tie(b.shape_mean, b.shape_sd) = s.mean_sd(n);
  // A part that does not vary on the training rows cannot be scaled: leave it out.
  b.hardness_weight = b.hardness_sd > 1e-9 ? o.hardness_weight : 0;
  b.shape_weight = b.shape_sd > 1e-9 ? o.shape_weight : 0;
  if (b.hardness_sd <= 1e-9) b.hardness_sd = 1;
  if (b.shape_sd <= 1e-9) b.shape_sd = 1;
  b.familiarity_floor = std::clamp(o.familiarity_floor, 0.0, 1.0);
  b.kind_weight = std::max(0.0, o.kind_weight);
  model.blend_ = b;
  return model;
}

OutcomeModel::OutcomeModel(ModelPair pair, FeatureOptions features, LogisticModel weak, LogisticModel strong,
                           LogisticModel gain, std::optional<CategoryPrior> prior, double prior_share)
    : pair_(std::move(pair)), features_(features), weak_(std::move(weak)), strong_(std::move(strong)),
      gain_(std::move(gain)), fused_(weak_.buckets()), prior_(std::move(prior)),
      prior_share_(prior_ ? prior_share : 0) {
  for (std::size_t i = 0; i < fused_.size(); ++i)
    fused_[i] = Bf16x4{to_bf16(weak_.weights()[i]), to_bf16(strong_.weights()[i]), to_bf16(gain_.weights()[i]), 0};
}

TierProbabilities OutcomeModel::probabilities(std::string_view prompt, std::vector<Feature>& scratch) const {
  PromptWords words;
  const auto window = PromptWindow::of(prompt);
  const double inv_norm = extract_text_features(window, features_, scratch, /*normalize=*/false, &words);
  return probabilities(scratch, inv_norm, words, window);
}

TierProbabilities OutcomeModel::probabilities(const std::vector<Feature>& features, double inv_norm,
                                              const PromptWords& words, const PromptWindow& text) const {
  auto p = lexical(features, inv_norm, words);
  p.task_kind = read_task_kind(words);
  if (blend_.shape_weight > 0 || blend_.hardness_weight > 0 || blend_.reads_familiarity()) {
    const double shape = blend_.shape_weight > 0 ? shape_.margin(prompt_shape(text, words)) : blend_.shape_mean;
    p.familiarity = blend_.reads_familiarity() ? familiarity_.weight(words) : 1;
    p.gain = std::clamp(blend_.apply(p.gain, p.weak, shape, p.familiarity, p.task_kind.demand()), -1.0, 1.0);
  }
  return p;
}

ScoreParts OutcomeModel::parts(std::string_view prompt, std::vector<Feature>& scratch) const {
  PromptWords words;
  const auto window = PromptWindow::of(prompt);
  const double inv_norm = extract_text_features(window, features_, scratch, /*normalize=*/false, &words);
  ScoreParts out;
  out.lexical_gain = 2 * gain_.calibrated(margins(scratch, inv_norm).gain) - 1;
  out.prior_gain = prior_ ? prior_->gain(words) : 0;
  out.shape = prompt_shape(window, words);
  out.shape_margin = shape_.margin(out.shape);
  out.familiarity = familiarity_.weight(words);
  out.trigram_coverage = familiarity_.coverage(words);
  out.task_kind = read_task_kind(words);
  return out;
}

OutcomeModel::Margins OutcomeModel::margins(const std::vector<Feature>& features, double inv_norm) const {
  // Masking a wider feature index gives exactly the index hashed at this width.
  const auto mask = static_cast<std::uint32_t>(fused_.size() - 1);
  // Two float accumulators over alternate features (independent add chains),
  // summed in double; see DomainClassifier::predict on the precision.
  Float4 even{}, odd{};
  const auto n = features.size();
  std::size_t i = 0;
  // The rows are read in hash order, i.e. at random: ask for the rows a few
  // features ahead so that many cache misses are in flight at once.
  constexpr std::size_t kAhead = 16;
  for (; i + 1 < n; i += 2) {
    if (i + kAhead + 1 < n) {
      __builtin_prefetch(&fused_[features[i + kAhead].index & mask]);
      __builtin_prefetch(&fused_[features[i + kAhead + 1].index & mask]);
    }
    even += widen(fused_[features[i].index & mask]) * features[i].value;
    odd += widen(fused_[features[i + 1].index & mask]) * features[i + 1].value;
  }
  if (i < n) even += widen(fused_[features[i].index & mask]) * features[i].value;
  return {(static_cast<double>(even[0]) + odd[0]) * inv_norm, (static_cast<double>(even[1]) + odd[1]) * inv_norm,
          (static_cast<double>(even[2]) + odd[2]) * inv_norm};
}

TierProbabilities OutcomeModel::lexical(const std::vector<Feature>& features, double inv_norm,
                                        const PromptWords& words) const {
  const auto m = margins(features, inv_norm);
  double gain = 2 * gain_.calibrated(m.gain) - 1;
  if (prior_) gain = (1 - prior_share_) * gain + prior_share_ * prior_->gain(words);
  TierProbabilities p;
  p.weak = weak_map_.apply(weak_.calibrated(m.weak));
  p.strong = strong_map_.apply(strong_.calibrated(m.strong));
  p.gain = gain;
  return p;
}

Status OutcomeModel::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(Errc::invalid_request, path + ": cannot write the model file");
  out << "fulcrum-outcome-model 7\n" << pair_.weak << '\n' << pair_.strong << '\n'
      << features_.hash_bits << ' ' << features_.bigrams << ' ' << features_.char_ngrams << '\n';
  weak_.save(out);
  strong_.save(out);
  gain_.save(out);
  // Version 2 adds the category prior and its share of the score.
  if (prior_) {
    out << "category-prior " << prior_share_ << '\n';
    prior_->save(out);
  } else {
    out << "category-prior none\n";
  }
  // Version 3 adds the shape model and the score blend; version 7 its number counts.
  out.precision(17);
  out << "blend " << blend_.shape_weight << ' ' << blend_.hardness_weight << ' ' << blend_.gain_sd << ' '
      << blend_.hardness_mean << ' ' << blend_.hardness_sd << ' ' << blend_.shape_mean << ' ' << blend_.shape_sd
      << '\n';
  shape_.save(out);
  // Version 4 adds each tier's isotonic correction.
  weak_map_.save(out);
  strong_map_.save(out);
  // Version 5 adds phrase familiarity, its floor and the gain's training mean.
  out << "familiarity " << blend_.familiarity_floor << ' ' << blend_.gain_mean << '\n';
  familiarity_.save(out);
  // Version 6 adds the task kind's weight.
  out << "task-kind " << blend_.kind_weight << '\n';
  if (!out) return make_error(Errc::invalid_request, path + ": writing the model failed");
  return Ok{};
}

Result<OutcomeModel> OutcomeModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::invalid_request, path + ": cannot open the model file");
  std::string magic, weak, strong, shape;
  if (!std::getline(in, magic) || !magic.starts_with("fulcrum-outcome-model ") ||
      magic.size() != std::string_view("fulcrum-outcome-model 1").size() || magic.back() < '1' || magic.back() > '7')
    return make_error(Errc::invalid_request, path + ": not a fulcrum outcome model (version 1 to 7)");
  const int version = magic.back() - '0';
  FeatureOptions f;
  if (!std::getline(in, weak) || !std::getline(in, strong) || !std::getline(in, shape))
    return make_error(Errc::invalid_request, path + ": truncated header");
  std::istringstream ss(shape);
  if (!(ss >> f.hash_bits >> f.bigrams >> f.char_ngrams) || f.hash_bits < 8 || f.hash_bits > 26)
    return make_error(Errc::invalid_request, path + ": bad feature settings");
  auto w = LogisticModel::load(in);
  if (!w) return make_error(Errc::invalid_request, path + ": weak model: " + w.error().message);
  auto s = LogisticModel::load(in);
  if (!s) return make_error(Errc::invalid_request, path + ": strong model: " + s.error().message);
  auto g = LogisticModel::load(in);
  if (!g) return make_error(Errc::invalid_request, path + ": gain model: " + g.error().message);
  const auto buckets = std::size_t{1} << f.hash_bits;
  if (w->buckets() != buckets || s->buckets() != buckets || g->buckets() != buckets)
    return make_error(Errc::invalid_request, path + ": weights do not match the feature hash size");
  std::optional<CategoryPrior> prior;
  double share = 0;
  if (version >= 2) {
    std::string line;
    constexpr std::string_view kPrefix = "category-prior ";
    if (!std::getline(in, line) || !line.starts_with(kPrefix))
      return make_error(Errc::invalid_request, path + ": missing the category-prior line");
    if (line != "category-prior none") {
      const char* first = line.data() + kPrefix.size();
      const char* last = line.data() + line.size();
      const auto [end, ec] = std::from_chars(first, last, share);
      if (ec != std::errc{} || end != last || !(share >= 0 && share <= 1))
        return make_error(Errc::invalid_request, path + ": category prior share must be in [0, 1]");
      auto p = CategoryPrior::load(in);
      if (!p) return make_error(Errc::invalid_request, path + ": " + p.error().message);
      prior = std::move(p.value());
    }
  }
  OutcomeModel model(ModelPair{weak, strong}, f, std::move(w.value()), std::move(s.value()), std::move(g.value()),
                     std::move(prior), share);
  if (version >= 3) {
    std::string line;
    if (!std::getline(in, line)) return make_error(Errc::invalid_request, path + ": missing the blend line");
    std::istringstream bl(line);
    std::string word;
    ScoreBlend& b = model.blend_;
    if (!(bl >> word >> b.shape_weight >> b.hardness_weight >> b.gain_sd >> b.hardness_mean >> b.hardness_sd >>
          b.shape_mean >> b.shape_sd) ||
        word != "blend")
      return make_error(Errc::invalid_request, path + ": bad blend line");
    for (double x : {b.shape_weight, b.hardness_weight, b.gain_sd, b.hardness_mean, b.hardness_sd, b.shape_mean,
                     b.shape_sd})
      if (!std::isfinite(x)) return make_error(Errc::invalid_request, path + ": bad blend line (not a number)");
    if (b.shape_weight < 0 || b.hardness_weight < 0 || b.gain_sd < 0 || !(b.hardness_sd > 0) || !(b.shape_sd > 0))
      return make_error(Errc::invalid_request, path + ": bad blend line (negative weight or spread)");
    auto shape_model = ShapeModel::load(in, version >= 7 ? kShapeFeatures : kShapeFeaturesBeforeNumbers);
    if (!shape_model) return make_error(Errc::invalid_request, path + ": " + shape_model.error().message);
    model.shape_ = std::move(shape_model.value());
  }
  if (version >= 4) {
    for (auto [map, tier] : {std::pair{&model.weak_map_, "weak"}, std::pair{&model.strong_map_, "strong"}}) {
      auto loaded = IsotonicMap::load(in);
      if (!loaded) return make_error(Errc::invalid_request, path + ": " + tier + " tier's " + loaded.error().message);
      *map = std::move(loaded.value());
    }
  }
  if (version >= 5) {
    std::string line, word;
    ScoreBlend& b = model.blend_;
    if (!std::getline(in, line)) return make_error(Errc::invalid_request, path + ": missing the familiarity line");
    std::istringstream fl(line);
    if (!(fl >> word >> b.familiarity_floor >> b.gain_mean) || word != "familiarity" ||
        !(b.familiarity_floor >= 0 && b.familiarity_floor <= 1) || !std::isfinite(b.gain_mean))
      return make_error(Errc::invalid_request, path + ": bad familiarity line");
    auto familiarity = PhraseFamiliarity::load(in);
    if (!familiarity) return make_error(Errc::invalid_request, path + ": " + familiarity.error().message);
    model.familiarity_ = std::move(familiarity.value());
  }
  if (version >= 6) {
    std::string line, word;
    if (!std::getline(in, line)) return make_error(Errc::invalid_request, path + ": missing the task-kind line");
    std::istringstream kl(line);
    ScoreBlend& b = model.blend_;
    if (!(kl >> word >> b.kind_weight) || word != "task-kind" || !std::isfinite(b.kind_weight) || b.kind_weight < 0)
      return make_error(Errc::invalid_request, path + ": bad task-kind line (want \"task-kind <weight >= 0>\")");
  }
  return model;
}

}  // namespace fulcrum
