#include "learn/phrase_familiarity.h"

#include <algorithm>
#include <istream>
#include <ostream>

#include "learn/binary_io.h"

namespace fulcrum {
namespace {

constexpr std::size_t kBuckets = std::size_t{1} << PhraseFamiliarity::kHashBits;
constexpr char kMagic[8] = {'F', 'L', 'C', 'R', 'F', 'A', 'M', '1'};

std::uint32_t trigram_bucket(const PromptWords& w, std::size_t i) {
  std::uint64_t h = w.hash[i];
  h = h * 0x9E3779B97F4A7C15ULL + w.hash[i + 1];
  h = h * 0x9E3779B97F4A7C15ULL + w.hash[i + 2];
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return static_cast<std::uint32_t>(h & (kBuckets - 1));
}

}  // namespace

PhraseFamiliarity PhraseFamiliarity::train(const std::vector<PromptWords>& rows) {
  // How many prompts hold each bucket, saturating at 3: "two others" is all
  // the leave-one-out share below needs.
  std::vector<std::uint8_t> prompts_with(kBuckets, 0);
  std::vector<std::uint32_t> buckets;
  for (const auto& w : rows) {
    buckets.clear();
    for (std::size_t i = 0; i + 2 < w.count; ++i) buckets.push_back(trigram_bucket(w, i));
    std::sort(buckets.begin(), buckets.end());
    buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
    for (auto b : buckets) prompts_with[b] = static_cast<std::uint8_t>(std::min(3, prompts_with[b] + 1));
  }
  PhraseFamiliarity m;
  m.bits_.assign(kBuckets / 64, 0);
  for (std::size_t b = 0; b < kBuckets; ++b)
    if (prompts_with[b] >= 2) m.bits_[b / 64] |= std::uint64_t{1} << (b % 64);
  // Each training prompt's share counted without it: a trigram it holds is
  // shared by two others when three prompts hold it. Trigrams are counted by
  // position, as coverage() counts them.
  std::vector<double> shares;
  for (const auto& w : rows) {
    if (w.count < 3) continue;
    std::size_t known = 0;
    for (std::size_t i = 0; i + 2 < w.count; ++i) known += prompts_with[trigram_bucket(w, i)] >= 3;
    shares.push_back(static_cast<double>(known) / static_cast<double>(w.count - 2));
  }
  if (!shares.empty()) {
    auto mid = shares.begin() + static_cast<std::ptrdiff_t>(shares.size() / 2);
    std::nth_element(shares.begin(), mid, shares.end());
    m.reference_ = *mid;
  }
  return m;
}

double PhraseFamiliarity::coverage(const PromptWords& words) const {
  if (bits_.empty() || words.count < 3) return 0;
  std::size_t known = 0;
  for (std::size_t i = 0; i + 2 < words.count; ++i) {
    const auto b = trigram_bucket(words, i);
    known += (bits_[b / 64] >> (b % 64)) & 1;
  }
  return static_cast<double>(known) / static_cast<double>(words.count - 2);
}

double PhraseFamiliarity::weight(const PromptWords& words) const {
  if (!in_use() || words.count < 3) return 1;
  return std::min(1.0, coverage(words) / reference_);
}

void PhraseFamiliarity::save(std::ostream& out) const {
  out.write(kMagic, sizeof kMagic);
  write_pod(out, reference_);
  write_pod(out, static_cast<std::uint32_t>(bits_.size()));
  out.write(reinterpret_cast<const char*>(bits_.data()),
            static_cast<std::streamsize>(bits_.size() * sizeof(std::uint64_t)));
}

Result<PhraseFamiliarity> PhraseFamiliarity::load(std::istream& in) {
  char magic[sizeof kMagic];
  if (!in.read(magic, sizeof magic) || !std::equal(magic, magic + sizeof magic, kMagic))
    return make_error(Errc::invalid_request, "phrase familiarity: bad magic");
  PhraseFamiliarity m;
  std::uint32_t words = 0;
  if (!read_pod(in, m.reference_) || !read_pod(in, words))
    return make_error(Errc::invalid_request, "phrase familiarity: truncated");
  if (!(m.reference_ >= 0 && m.reference_ <= 1))
    return make_error(Errc::invalid_request, "phrase familiarity: reference share must be in [0, 1]");
  if (words != 0 && words != kBuckets / 64)
    return make_error(Errc::invalid_request, "phrase familiarity: wrong table size");
  m.bits_.resize(words);
  if (!in.read(reinterpret_cast<char*>(m.bits_.data()), static_cast<std::streamsize>(words * sizeof(std::uint64_t))))
    return make_error(Errc::invalid_request, "phrase familiarity: truncated table");
  return m;
}

}  // namespace fulcrum
