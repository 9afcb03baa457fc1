#include "ledger/request_rows.h"

namespace fulcrum {
namespace {

// Where each column's value is: a text slot, or -1 for an integer column.
constexpr std::array<int, RequestRows::kColumns> kTextSlot = {
    0, -1, 1, 2, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 6, -1, -1, -1, -1};

}  // namespace

void RequestRows::add(const RequestRecord& r) {
  using I = std::int64_t;
  Row::Packed& p = rows_.emplace_back();
  p.integers = {0,
                I{r.unix_ms},
                0, 0, 0, 0, 0,
                I{r.stream},
                I{r.escalated},
                I{r.status},
                I{r.attempts},
                I{r.usage.prompt_tokens},
                I{r.usage.cache_hit_tokens},
                I{r.usage.cache_miss_tokens},
                I{r.usage.completion_tokens},
                I{r.usage.reasoning_tokens},
                I{r.cost},
                I{r.usage.estimated},
                static_cast<I>(r.ttfb_ms * 1000),
                static_cast<I>(r.total_ms * 1000),
                static_cast<I>(r.overhead_ms * 1000),
                0,
                I{r.fell_back},
                I{r.answer_usage.prompt_tokens},
                I{r.answer_usage.cache_hit_tokens},
                I{r.answer_usage.completion_tokens}};
  p.text_begin = text_.size();
  const std::string* texts[kTexts] = {&r.id,     &r.key,   &r.model_requested, &r.tier, &r.upstream_model,
                                      &r.reason, &r.error, &r.prompt};
  for (int t = 0; t < kTexts; ++t) {
    text_.append(*texts[t]);
    p.text_end[t] = static_cast<std::uint32_t>(text_.size() - p.text_begin);
  }
}

void RequestRows::clear() {
  rows_.clear();
  text_.clear();
}

std::string_view RequestRows::Row::text(int t) const {
  const std::uint32_t begin = t == 0 ? 0 : packed_->text_end[t - 1];
  return {text_ + begin, packed_->text_end[t] - begin};
}

SqlValueView RequestRows::Row::column(int c) const {
  if (const int slot = kTextSlot[c]; slot >= 0) return text(slot);
  return packed_->integers[c];
}

}  // namespace fulcrum
