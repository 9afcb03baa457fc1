#include "learn/category_prior.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <map>
#include <ostream>

#include "learn/binary_io.h"

namespace fulcrum {
namespace {

using U8x32 = std::uint8_t __attribute__((vector_size(32)));
using U16x32 = std::uint16_t __attribute__((vector_size(64)));

constexpr char kMagic[8] = {'F', 'L', 'C', 'R', 'C', 'A', 'T', '1'};
constexpr std::size_t kBuckets = std::size_t{1} << CategoryPrior::kHashBits;
constexpr std::uint32_t kMask = kBuckets - 1;
constexpr std::size_t kKnown = CategoryPrior::kLanes - 1;
// A lane's sum over PromptWords::kMax words must fit 16 bits.
static_assert(PromptWords::kMax * 255 <= 0xFFFF);

}  // namespace

std::optional<CategoryPrior> CategoryPrior::train(const std::vector<const LabeledPrompt*>& rows, const ModelPair& pair,
                                                  const CategoryPriorOptions& o) {
  std::map<std::string, std::size_t> rows_of;
  for (const auto* r : rows) ++rows_of[r->category];
  if (rows_of.size() < 2) return std::nullopt;

  // Lanes by frequency (ties by name, so training is deterministic); the
  // rarest categories past kMaxCategories - 1 share the last lane.
  std::vector<std::pair<std::size_t, std::string>> by_count;
  for (const auto& [name, n] : rows_of) by_count.push_back({n, name});
  std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const std::size_t lanes = std::min(by_count.size(), kMaxCategories);
  std::map<std::string, std::size_t> lane_of;
  CategoryPrior m;
  for (std::size_t i = 0; i < by_count.size(); ++i) {
    lane_of[by_count[i].second] = std::min(i, lanes - 1);
    if (i < lanes) m.names_.push_back(i + 1 == lanes && by_count.size() > lanes ? "(other)" : by_count[i].second);
  }

  std::vector<std::uint32_t> counts(kBuckets * lanes, 0);
  std::vector<double> words_in(lanes, 0), rows_in(lanes, 0), gain_sum(lanes, 0);
  double total_gain = 0;
  std::vector<Feature> scratch;
  for (const auto* r : rows) {
    const std::size_t lane = lane_of.at(r->category);
    const double g = strong_gain(*r, pair);
    rows_in[lane] += 1;
    gain_sum[lane] += g;
    total_gain += g;
    const PromptWords words = prompt_words(r->routed_text(), scratch);
    for (std::size_t i = 0; i < words.count; ++i) ++counts[(words.hash[i] & kMask) * lanes + lane];
    words_in[lane] += static_cast<double>(words.count);
  }

  std::size_t vocabulary = 0;
  std::uint32_t most = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    const auto* c = &counts[b * lanes];
    const std::uint32_t top = *std::max_element(c, c + lanes);
    vocabulary += top > 0;
    most = std::max(most, top);
  }
  const double a = o.smoothing;
  const double overall = total_gain / static_cast<double>(rows.size());
  for (std::size_t c = 0; c < lanes; ++c) {
    m.log_prior_.push_back(static_cast<float>(std::log(rows_in[c] / static_cast<double>(rows.size()))));
    m.unseen_.push_back(static_cast<float>(std::log(a / (words_in[c] + a * static_cast<double>(vocabulary)))));
    m.gain_.push_back(static_cast<float>((gain_sum[c] + o.strength * overall) / (rows_in[c] + o.strength)));
  }
  const double top_log = std::log((most + a) / a);
  m.scale_ = static_cast<float>(top_log > 0 ? top_log / 255 : 1);
  m.rows_.assign(kBuckets, Row{});
  for (std::size_t b = 0; b < kBuckets; ++b)
    for (std::size_t c = 0; c < lanes; ++c)
      if (const auto n = counts[b * lanes + c])
        m.rows_[b].lane[c] = static_cast<std::uint8_t>(std::clamp(std::lround(std::log((n + a) / a) / m.scale_), 1L, 255L));
  m.fill_known_flags();
  return m;
}

void CategoryPrior::fill_known_flags() {
  for (auto& r : rows_)
    r.lane[kKnown] = std::any_of(r.lane, r.lane + kKnown, [](std::uint8_t v) { return v != 0; }) ? 1 : 0;
}

double CategoryPrior::gain(const PromptWords& words) const {
  // Sum each category's quantised log-likelihood terms in 16-bit lanes: one
  // 64-byte row per word, two vector adds. Words never seen in training are
  // skipped (their row is zero, known flag included), as naive Bayes does.
  U16x32 lo{}, hi{};
  constexpr std::size_t kAhead = 8;
  for (std::size_t i = 0; i < words.count; ++i) {
    if (i + kAhead < words.count) __builtin_prefetch(&rows_[words.hash[i + kAhead] & kMask]);
    const Row& row = rows_[words.hash[i] & kMask];
    U8x32 a, b;
    std::memcpy(&a, row.lane, sizeof a);
    std::memcpy(&b, row.lane + 32, sizeof b);
    lo += __builtin_convertvector(a, U16x32);
    hi += __builtin_convertvector(b, U16x32);
  }
  const double known = hi[kKnown - 32];
  const std::size_t n = names_.size();
  double ll[kMaxCategories];
  double top = -1e300;
  for (std::size_t c = 0; c < n; ++c) {
    const double sum = c < 32 ? lo[c] : hi[c - 32];
    ll[c] = log_prior_[c] + known * unseen_[c] + scale_ * sum;
    top = std::max(top, ll[c]);
  }
  // Softmax: a category more than 40 nats below the best weighs under 1e-17,
  // so its exp() (the costliest step here) is skipped.
  double z = 0, g = 0;
  for (std::size_t c = 0; c < n; ++c) {
    const double d = ll[c] - top;
    if (d < -40) continue;
    const double p = std::exp(d);
    z += p;
    g += p * gain_[c];
  }
  return g / z;
}

void CategoryPrior::save(std::ostream& out) const {
  // Sparse: the (bucket, category, value) entries that are not zero.
  out.write(kMagic, sizeof kMagic);
  write_pod(out, static_cast<std::uint32_t>(names_.size()));
  write_pod(out, scale_);
  for (std::size_t c = 0; c < names_.size(); ++c) {
    write_pod(out, static_cast<std::uint32_t>(names_[c].size()));
    out.write(names_[c].data(), static_cast<std::streamsize>(names_[c].size()));
    write_pod(out, log_prior_[c]);
    write_pod(out, unseen_[c]);
    write_pod(out, gain_[c]);
  }
  std::uint32_t entries = 0;
  for (const auto& r : rows_) entries += static_cast<std::uint32_t>(std::count_if(r.lane, r.lane + kKnown, [](auto v) { return v != 0; }));
  write_pod(out, entries);
  for (std::size_t b = 0; b < rows_.size(); ++b)
    for (std::size_t c = 0; c < kKnown; ++c)
      if (const std::uint8_t v = rows_[b].lane[c]) {
        write_pod(out, static_cast<std::uint16_t>(b));
        write_pod(out, static_cast<std::uint8_t>(c));
        write_pod(out, v);
      }
}

Result<CategoryPrior> CategoryPrior::load(std::istream& in) {
  auto corrupt = [](const std::string& why) { return make_error(Errc::invalid_request, "category prior: " + why); };
  char magic[8];
  if (!in.read(magic, sizeof magic) || !std::equal(magic, magic + 8, kMagic)) return corrupt("bad magic");
  std::uint32_t n = 0;
  CategoryPrior m;
  if (!read_pod(in, n) || n < 2 || n > kMaxCategories) return corrupt("bad category count");
  if (!read_pod(in, m.scale_) || !std::isfinite(m.scale_) || m.scale_ <= 0) return corrupt("bad scale");
  for (std::uint32_t c = 0; c < n; ++c) {
    std::uint32_t len = 0;
    if (!read_pod(in, len) || len > 4096) return corrupt("bad category name");
    std::string name(len, '\0');
    float log_prior = 0, unseen = 0, gain = 0;
    if (!in.read(name.data(), len) || !read_pod(in, log_prior) || !read_pod(in, unseen) || !read_pod(in, gain))
      return corrupt("truncated category table");
    if (!std::isfinite(log_prior) || !std::isfinite(unseen) || !(gain >= -1 && gain <= 1))
      return corrupt("bad values for category " + name);
    m.names_.push_back(std::move(name));
    m.log_prior_.push_back(log_prior);
    m.unseen_.push_back(unseen);
    m.gain_.push_back(gain);
  }
  std::uint32_t entries = 0;
  if (!read_pod(in, entries) || entries > kBuckets * n) return corrupt("bad entry count");
  m.rows_.assign(kBuckets, Row{});
  for (std::uint32_t e = 0; e < entries; ++e) {
    std::uint16_t bucket = 0;
    std::uint8_t lane = 0, value = 0;
    if (!read_pod(in, bucket) || !read_pod(in, lane) || !read_pod(in, value)) return corrupt("truncated entries");
    if (lane >= n) return corrupt("entry for a category that does not exist");
    m.rows_[bucket].lane[lane] = value;
  }
  m.fill_known_flags();
  return m;
}

}  // namespace fulcrum
