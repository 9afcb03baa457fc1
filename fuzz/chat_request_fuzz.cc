// Any body: parse_chat_request answers a value or an error, never crashes; a parsed
// request always builds an upstream body that is valid JSON. Any bytes read as a
// prompt have a finite shape (learn/shape_model.h: its counts, numbers among them).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "learn/shape_model.h"
#include "learn/text_features.h"
#include "openai/chat_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  {
    std::vector<fulcrum::Feature> scratch;
    fulcrum::PromptWords words;
    fulcrum::extract_text_features(body, fulcrum::FeatureOptions{}, scratch, false, &words);
    for (double x : fulcrum::prompt_shape(body, words))
      if (!std::isfinite(x)) std::abort();
  }
  auto req = fulcrum::parse_chat_request(body);
  if (!req) return 0;
  fulcrum::Tier tier;
  tier.model = "m";
  tier.params["thinking"] = boost::json::object{{"type", "enabled"}};
  auto out = fulcrum::build_upstream_body(*req, tier);
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec || !v.is_object()) std::abort();
  (void)req->prompt_text();
  return 0;
}
