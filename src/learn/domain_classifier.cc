#include "learn/domain_classifier.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace fulcrum {

std::string_view domain_of_category(std::string_view c) {
  static const std::map<std::string_view, std::string_view> table{
      {"anatomy", "medical"}, {"clinical_knowledge", "medical"}, {"college_medicine", "medical"},
      {"human_aging", "medical"}, {"human_sexuality", "medical"}, {"medical_genetics", "medical"},
      {"nutrition", "medical"}, {"professional_medicine", "medical"}, {"virology", "medical"},
      {"international_law", "legal"}, {"jurisprudence", "legal"}, {"professional_law", "legal"},
      {"econometrics", "finance"}, {"high_school_macroeconomics", "finance"},
      {"high_school_microeconomics", "finance"}, {"professional_accounting", "finance"},
      {"astronomy", "science"}, {"college_biology", "science"}, {"college_chemistry", "science"},
      {"college_physics", "science"}, {"conceptual_physics", "science"}, {"electrical_engineering", "science"},
      {"high_school_biology", "science"}, {"high_school_chemistry", "science"}, {"high_school_physics", "science"},
      {"abstract_algebra", "math"}, {"college_mathematics", "math"}, {"elementary_mathematics", "math"},
      {"high_school_mathematics", "math"}, {"high_school_statistics", "math"}, {"math_word_problem", "math"},
      {"college_computer_science", "code"}, {"computer_security", "code"},
      {"high_school_computer_science", "code"}, {"machine_learning", "code"},
  };
  auto it = table.find(c);
  return it == table.end() ? std::string_view("other") : it->second;
}

DomainClassifier::DomainClassifier(FeatureOptions features, std::vector<LogisticModel> models)
    : features_(features), models_(std::move(models)), fused_(models_.front().buckets()) {
  // One explicit branch per half: `(d < 4 ? row.lo : row.hi)[k] = w` is not
  // an lvalue of the row with GCC's vector types at every optimisation level
  // (at -O2 the writes to `hi` went to a temporary and four domains read 0).
  for (std::size_t i = 0; i < fused_.size(); ++i) {
    auto& row = fused_[i];
    for (std::size_t d = 0; d < kDomains.size(); ++d) {
      const auto w = to_bf16(models_[d].weights()[i]);
      if (d < 4)
        row.lo[d] = w;
      else
        row.hi[d - 4] = w;
    }
  }
}

DomainClassifier DomainClassifier::train(const std::vector<const LabeledPrompt*>& rows, const FeatureOptions& features,
                                         const TrainOptions& sgd) {
  std::vector<std::vector<Feature>> x;
  x.reserve(rows.size());
  for (const auto* r : rows) {
    x.emplace_back();
    extract_text_features(r->routed_text(), features, x.back());
  }
  std::vector<LogisticModel> models;
  for (const auto domain : kDomains) {
    std::vector<double> y;
    for (const auto* r : rows) y.push_back(domain_of_category(r->category) == domain ? 1.0 : 0.0);
    LogisticModel m(features.hash_bits);
    m.train(x, y, sgd);
    models.push_back(std::move(m));
  }
  return DomainClassifier(features, std::move(models));
}

DomainPrediction DomainClassifier::predict(std::string_view prompt, std::vector<Feature>& scratch) const {
  const double inv = extract_text_features(prompt, features_, scratch, /*normalize=*/false);
  return predict(scratch, inv);
}

DomainPrediction DomainClassifier::predict(const std::vector<Feature>& features, double inv) const {
  const auto mask = static_cast<std::uint32_t>(fused_.size() - 1);
  // Two float accumulators over alternate features (independent add chains),
  // summed in double: ~4,000 terms keep float's error near 1e-6, far below
  // any confidence that matters.
  Float4 even_lo{}, even_hi{}, odd_lo{}, odd_hi{};
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
    const auto& a = fused_[features[i].index & mask];
    const auto& b = fused_[features[i + 1].index & mask];
    even_lo += widen(a.lo) * features[i].value;
    even_hi += widen(a.hi) * features[i].value;
    odd_lo += widen(b.lo) * features[i + 1].value;
    odd_hi += widen(b.hi) * features[i + 1].value;
  }
  if (i < n) {
    const auto& a = fused_[features[i].index & mask];
    even_lo += widen(a.lo) * features[i].value;
    even_hi += widen(a.hi) * features[i].value;
  }
  std::array<double, kDomains.size()> margin{};
  for (std::size_t d = 0; d < kDomains.size(); ++d)
    margin[d] = d < 4 ? static_cast<double>(even_lo[d]) + odd_lo[d] : static_cast<double>(even_hi[d - 4]) + odd_hi[d - 4];
  std::array<double, kDomains.size()> p{};
  double total = 0;
  for (std::size_t d = 0; d < kDomains.size(); ++d) total += p[d] = models_[d].calibrated(margin[d] * inv);
  std::size_t best = 0;
  for (std::size_t d = 1; d < kDomains.size(); ++d)
    if (p[d] > p[best]) best = d;
  return {kDomains[best], total > 0 ? p[best] / total : 0};
}

Status DomainClassifier::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(Errc::invalid_request, path + ": cannot write the model file");
  out << "fulcrum-domain-model 1\n" << features_.hash_bits << ' ' << features_.bigrams << ' ' << features_.char_ngrams << '\n';
  for (const auto& m : models_) m.save(out);
  if (!out) return make_error(Errc::invalid_request, path + ": writing the model failed");
  return Ok{};
}

Result<DomainClassifier> DomainClassifier::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::invalid_request, path + ": cannot open the domain model file");
  std::string magic, shape;
  if (!std::getline(in, magic) || magic != "fulcrum-domain-model 1" || !std::getline(in, shape))
    return make_error(Errc::invalid_request, path + ": not a fulcrum domain model (version 1)");
  FeatureOptions f;
  std::istringstream ss(shape);
  if (!(ss >> f.hash_bits >> f.bigrams >> f.char_ngrams) || f.hash_bits < 8 || f.hash_bits > 26)
    return make_error(Errc::invalid_request, path + ": bad feature settings");
  std::vector<LogisticModel> models;
  for (const auto domain : kDomains) {
    auto m = LogisticModel::load(in);
    if (!m) return make_error(Errc::invalid_request, path + ": " + std::string(domain) + ": " + m.error().message);
    if (m->buckets() != (std::size_t{1} << f.hash_bits))
      return make_error(Errc::invalid_request, path + ": weights do not match the feature hash size");
    models.push_back(std::move(m.value()));
  }
  return DomainClassifier(f, std::move(models));
}

}  // namespace fulcrum
