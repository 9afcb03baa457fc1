#include "routing/router.h"

#include "core/token_estimate.h"

namespace fulcrum {

RequestFeatures extract_features(const ChatRequest& request) {
  RequestFeatures f;
  if (auto it = request.body.find("messages"); it != request.body.end())
    if (auto* a = it->value().if_array()) f.message_count = a->size();
  const auto text = request.prompt_text();
  f.prompt_chars = static_cast<std::int64_t>(text.size());
  f.prompt_tokens_estimate = estimate_tokens(text);
  return f;
}

RoutingDecision DefaultTierRouter::route(const ChatRequest& request) const {
  return RoutingDecision{tier_, reason_, extract_features(request)};
}

}  // namespace fulcrum
