#include "routing/features.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <boost/json.hpp>

#include "core/client_text.h"
#include "core/text_search.h"
#include "core/token_estimate.h"
#include "learn/domain_classifier.h"
#include "learn/outcome_model.h"
#include "learn/task_kind.h"
#include "learn/text_features.h"

namespace fulcrum {
namespace {

std::optional<double> parse_number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

// The sample holds the models' window of a long text (see prompt_sample).
static_assert(FeatureExtractor::kSampleChars >= kModelHeadChars && FeatureExtractor::kSampleChars >= kModelTailChars);

}  // namespace

std::optional<double> RequestFeatures::number(FeatureId id) const {
  switch (id) {
    case FeatureId::domain_risk: return domain_risk;
    case FeatureId::complexity: return complexity;
    case FeatureId::score: return score;
    case FeatureId::p_weak: return p_weak;
    case FeatureId::p_strong: return p_strong;
    case FeatureId::error_cost_usd: return error_cost_usd;
    case FeatureId::latency_budget_ms: return latency_budget_ms;
    case FeatureId::budget_usd: return budget_usd;
    case FeatureId::prompt_tokens: return static_cast<double>(prompt_tokens_estimate);
    case FeatureId::message_count: return static_cast<double>(message_count);
    case FeatureId::has_code: return has_code ? std::optional<double>(*has_code ? 1.0 : 0.0) : std::nullopt;
    case FeatureId::has_math: return has_math ? std::optional<double>(*has_math ? 1.0 : 0.0) : std::nullopt;
    case FeatureId::task:
    case FeatureId::task_kind:
    case FeatureId::domain: return std::nullopt;
  }
  return std::nullopt;
}

std::string_view RequestFeatures::text(FeatureId id) const {
  if (id == FeatureId::task) return task;
  if (id == FeatureId::task_kind) return task_kind;
  if (id == FeatureId::domain) return domain;
  return {};
}

std::string RequestFeatures::to_json() const {
  boost::json::object o;
  o["message_count"] = message_count;
  o["prompt_chars"] = prompt_chars;
  o["prompt_tokens_estimate"] = prompt_tokens_estimate;
  o["request_chars"] = request_chars;
  o["max_output_tokens"] = max_output_tokens;
  o["has_code"] = has_code ? boost::json::value(*has_code) : boost::json::value(nullptr);
  o["has_math"] = has_math ? boost::json::value(*has_math) : boost::json::value(nullptr);
  o["task"] = task;
  o["task_kind"] = task_kind;
  o["domain"] = domain;
  o["domain_source"] = domain_source;
  o["domain_confidence"] = domain_confidence ? boost::json::value(*domain_confidence) : boost::json::value(nullptr);
  o["domain_risk"] = domain_risk;
  auto opt = [&](const char* key, const std::optional<double>& v) {
    o[key] = v ? boost::json::value(*v) : boost::json::value(nullptr);
  };
  opt("error_cost_usd", error_cost_usd);
  opt("latency_budget_ms", latency_budget_ms);
  opt("budget_usd", budget_usd);
  opt("score", score);
  opt("p_weak", p_weak);
  opt("p_strong", p_strong);
  opt("complexity", complexity);
  opt("familiarity", familiarity);
  return boost::json::serialize(o);
}

FeatureExtractor::FeatureExtractor(const RouterConfig& config, const OutcomeModel* model,
                                   const DomainClassifier* domains)
    : config_(config), model_(model), domains_(domains) {
  const auto reads_markers = [](const std::vector<Condition>& when) {
    return std::any_of(when.begin(), when.end(), [](const Condition& c) {
      return c.feature == FeatureId::has_code || c.feature == FeatureId::has_math;
    });
  };
  for (const auto& p : config_.policies) {
    conditions_read_markers_ = conditions_read_markers_ || reads_markers(p.when);
    for (const auto& r : p.rules) conditions_read_markers_ = conditions_read_markers_ || reads_markers(r.when);
  }
}

FeatureExtractor::PromptSample FeatureExtractor::prompt_sample(const ChatRequest& request,
                                                              const PromptSelection& selection) {
  std::vector<const boost::json::value*> picked;
  if (auto it = request.body.find("messages"); it != request.body.end())
    for (const auto& m : it->value().as_array()) {
      const auto& mo = m.as_object();
      auto role = mo.find("role");
      if (role == mo.end() || !role->value().is_string()) continue;
      const std::string_view r = role->value().get_string();
      if (std::find(selection.roles.begin(), selection.roles.end(), r) == selection.roles.end()) continue;
      if (auto c = mo.find("content"); c != mo.end()) picked.push_back(&c->value());
    }
  std::size_t first = 0;
  if (selection.last_n > 0 && picked.size() > static_cast<std::size_t>(selection.last_n))
    first = picked.size() - static_cast<std::size_t>(selection.last_n);
  // The text is every piece followed by a newline, less the last newline; its
  // pieces are views into the body, so the whole need never be copied.
  std::vector<std::string_view> pieces;
  std::size_t total = 0;
  for (std::size_t i = first; i < picked.size(); ++i)
    for_each_text(*picked[i], [&](std::string_view t) {
      pieces.push_back(t);
      total += t.size() + 1;
    });
  PromptSample sample;
  sample.total_chars = total > 0 ? total - 1 : 0;
  // Appends bytes [from, to) of the joined text.
  const auto append_range = [&](std::size_t from, std::size_t to) {
    std::size_t at = 0;  // where the current piece starts in the joined text
    for (const auto piece : pieces) {
      const std::size_t end = at + piece.size() + 1;  // with its newline
      if (end > from && at < to) {
        const std::size_t a = std::max(from, at) - at, b = std::min(to, end) - at;
        sample.text.append(piece.substr(a, std::min(b, piece.size()) - std::min(a, piece.size())));
        if (b > piece.size()) sample.text.push_back('\n');
      }
      if (end >= to) break;
      at = end;
    }
  };
  if (sample.total_chars <= 2 * kSampleChars) {
    sample.text.reserve(sample.total_chars);
    append_range(0, sample.total_chars);
  } else {
    sample.text.reserve(2 * kSampleChars);
    append_range(0, kSampleChars);
    append_range(sample.total_chars - kSampleChars, sample.total_chars);
  }
  return sample;
}

Result<RequestFeatures> FeatureExtractor::extract(const ChatRequest& request, const HeaderLookup& header,
                                                  bool every_feature) const {
  RequestFeatures f;
  if (auto it = request.body.find("messages"); it != request.body.end()) f.message_count = it->value().as_array().size();
  const auto sample = prompt_sample(request, config_.prompt);
  const std::string_view text = sample.text;
  f.prompt_chars = static_cast<std::int64_t>(sample.total_chars);
  f.prompt_tokens_estimate = estimate_tokens(text);
  if (sample.cut())
    f.prompt_tokens_estimate = static_cast<std::int64_t>(std::llround(
        static_cast<double>(f.prompt_tokens_estimate) * static_cast<double>(sample.total_chars) / static_cast<double>(text.size())));
  f.request_chars = request.prompt_size();
  f.max_output_tokens = requested_max_tokens(request);
  if (conditions_read_markers_ || every_feature) {
    // A cut sample's two halves are searched apart: no marker spans the cut.
    const auto halves = sample.cut() ? std::array{text.substr(0, kSampleChars), text.substr(kSampleChars)}
                                     : std::array{text, std::string_view()};
    bool code = false, math = false;
    for (const auto part : halves) {
      code = code || part.find("```") != std::string_view::npos || part.find("#include") != std::string_view::npos ||
             part.find("};") != std::string_view::npos || contains_common(part, "def ") ||
             contains_common(part, "function ");
      math = math || part.find('=') != std::string_view::npos || part.find('^') != std::string_view::npos ||
             part.find("\\frac") != std::string_view::npos || contains_common(part, "solve");
    }
    f.has_code = code;
    f.has_math = math;
  }

  // Declared values: a header wins over the same name in metadata. Clipped:
  // they reach the reason, the ledger and error messages.
  const boost::json::object* metadata = nullptr;
  if (auto it = request.body.find("metadata"); it != request.body.end()) metadata = it->value().if_object();
  auto declared = [&](const char* name) -> std::pair<std::string, std::string> {
    if (header) {
      auto h = header(name);
      if (!h.empty()) return {clip_client_text(h), std::string("header ") + name};
    }
    if (metadata)
      if (auto it = metadata->find(name); it != metadata->end()) {
        if (auto s = it->value().if_string()) return {clip_client_text(*s), std::string("metadata.") + name};
        if (it->value().is_number()) {
          return {boost::json::serialize(it->value()), std::string("metadata.") + name};
        }
      }
    return {};
  };
  f.task = declared("x-fulcrum-task").first;
  f.domain = declared("x-fulcrum-domain").first;
  if (!f.domain.empty()) f.domain_source = "declared";
  for (auto [name, dst] : {std::pair{"x-fulcrum-error-cost", &f.error_cost_usd},
                           std::pair{"x-fulcrum-latency-budget-ms", &f.latency_budget_ms},
                           std::pair{"x-fulcrum-budget-usd", &f.budget_usd}}) {
    auto [value, where] = declared(name);
    if (value.empty()) continue;
    auto v = parse_number(value);
    if (!v) return make_error(Errc::invalid_request, where + " must be a non-negative number, got \"" + value + "\"", name);
    *dst = v;
  }
  // One feature pass serves both models: each masks the indices to its size.
  const bool predict_domain = f.domain.empty() && domains_;
  if (model_ || predict_domain) {
    thread_local std::vector<Feature> scratch;
    thread_local PromptWords words;
    FeatureOptions opt = model_ ? model_->feature_options() : domains_->feature_options();
    if (model_ && predict_domain) opt.hash_bits = std::max(opt.hash_bits, domains_->feature_options().hash_bits);
    const auto window = PromptWindow::of(text, sample.total_chars);
    const double inv_norm = extract_text_features(window, opt, scratch, /*normalize=*/false, &words);
    if (model_) {
      const auto p = model_->probabilities(scratch, inv_norm, words, window);
      f.score = p.gain;
      f.p_weak = p.weak;
      f.p_strong = p.strong;
      f.complexity = 10.0 * (1.0 - p.weak);
      f.familiarity = p.familiarity;
      f.task_kind = p.task_kind.kind();
    } else {
      f.task_kind = read_task_kind(words).kind();
    }
    if (predict_domain) {
      const auto p = domains_->predict(scratch, inv_norm);
      f.domain_confidence = p.confidence;
      if (p.confidence >= config_.domain_min_confidence) {
        f.domain = std::string(p.domain);
        f.domain_source = "predicted";
      }
    }
  }
  // The domain table, for a declared or a predicted domain alike.
  if (auto d = config_.domains.find(f.domain); d != config_.domains.end()) {
    f.domain_risk = d->second.risk;
    if (!f.error_cost_usd && d->second.error_cost_usd) f.error_cost_usd = d->second.error_cost_usd;
  }
  return f;
}

}  // namespace fulcrum
