#include "ledger/ledger_store.h"

namespace fulcrum {

std::vector<SqlValue> request_row(const RequestRecord& r) {
  using I = std::int64_t;
  return {r.id,
          I{r.unix_ms},
          r.key,
          r.model_requested,
          r.tier,
          r.upstream_model,
          r.reason,
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
          r.error,
          I{r.fell_back},
          I{r.answer_usage.prompt_tokens},
          I{r.answer_usage.cache_hit_tokens},
          I{r.answer_usage.completion_tokens}};
}

}  // namespace fulcrum
