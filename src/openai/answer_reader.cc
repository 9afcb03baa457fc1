#include "openai/answer_reader.h"

#include <array>
#include <limits>
#include <string>

#include <boost/json.hpp>
#include <simdjson.h>

#include "core/json_parse.h"
#include "core/money.h"
#include "core/token_estimate.h"
#include "openai/usage.h"

namespace fulcrum {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The values of `keys` in one pass over the object's members (a nullopt for a
// key it lacks, or when it is not an object); the last value when a key is
// given twice, as Boost.JSON keeps it.
template <std::size_t N>
std::array<std::optional<element>, N> fields(element object, const std::array<std::string_view, N>& keys) {
  std::array<std::optional<element>, N> found;
  simdjson::dom::object members;
  if (object.get(members) != simdjson::SUCCESS) return found;
  for (const auto kv : members)
    for (std::size_t i = 0; i < N; ++i)
      if (kv.key == keys[i]) found[i] = kv.value;
  return found;
}

std::optional<element> of_type(const std::optional<element>& v, element_type type) {
  return v && v->type() == type ? v : std::nullopt;
}

// Held by value: a reference into get_array()'s result would dangle.
simdjson::dom::array array_of(element v) {
  simdjson::dom::array a;
  return v.get(a) == simdjson::SUCCESS ? a : simdjson::dom::array{};
}

// A count: a non-negative number, clamped to kMaxTokenCount (a hostile or
// broken upstream's counts are clamped, not cast out of range); anything else is 0.
std::int64_t count_of(element v) {
  constexpr auto kMax = kMaxTokenCount;
  switch (v.type()) {
    case element_type::INT64: return std::clamp<std::int64_t>(v.get_int64().value_unsafe(), 0, kMax);
    case element_type::UINT64: {
      const auto u = v.get_uint64().value_unsafe();
      return u > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<std::int64_t>(u);
    }
    case element_type::DOUBLE: {
      const double d = v.get_double().value_unsafe();
      return d > 0 ? (d < kMax ? static_cast<std::int64_t>(d) : kMax) : 0;
    }
    default: return 0;
  }
}

std::int64_t count_or_zero(const std::optional<element>& v) { return v ? count_of(*v) : 0; }

Usage read_usage(element u) {
  const auto [prompt, completion, hit, miss, prompt_details, completion_details] =
      fields<6>(u, {"prompt_tokens", "completion_tokens", "prompt_cache_hit_tokens", "prompt_cache_miss_tokens",
                    "prompt_tokens_details", "completion_tokens_details"});
  UsageCounts c;
  c.prompt = count_or_zero(prompt);
  c.completion = count_or_zero(completion);
  if (hit) c.cache_hit = count_of(*hit);
  if (miss) c.cache_miss = count_of(*miss);
  if (auto d = of_type(prompt_details, element_type::OBJECT)) c.cached = count_or_zero(fields<1>(*d, {"cached_tokens"})[0]);
  if (auto d = of_type(completion_details, element_type::OBJECT))
    c.reasoning = count_or_zero(fields<1>(*d, {"reasoning_tokens"})[0]);
  return usage_from_counts(c);
}

std::int64_t text_code_points(const std::optional<element>& v) {
  return v && v->type() == element_type::STRING ? count_code_points(v->get_string().value_unsafe()) : 0;
}

std::int64_t message_code_points(element message) {
  const auto [content, reasoning, tool_calls] = fields<3>(message, {"content", "reasoning_content", "tool_calls"});
  std::int64_t n = text_code_points(content) + text_code_points(reasoning);
  if (auto calls = of_type(tool_calls, element_type::ARRAY))
    for (const element call : array_of(*calls))
      if (auto fn = of_type(fields<1>(call, {"function"})[0], element_type::OBJECT))
        n += text_code_points(fields<1>(*fn, {"arguments"})[0]);
  return n;
}

void read_logprobs(const std::optional<element>& logprobs, std::size_t max, std::vector<double>& out) {
  auto lp = of_type(logprobs, element_type::OBJECT);
  auto content = lp ? of_type(fields<1>(*lp, {"content"})[0], element_type::ARRAY) : std::nullopt;
  if (!content) return;
  for (const element token : array_of(*content)) {
    if (out.size() >= max) return;
    if (auto v = fields<1>(token, {"logprob"})[0]; v && v->is_number()) out.push_back(v->get_double().value_unsafe());
  }
}

AnswerFields read_fields(element answer, AnswerPart part, std::size_t max_logprobs) {
  AnswerFields out;
  const auto [usage, choices] = fields<2>(answer, {"usage", "choices"});
  if (auto u = of_type(usage, element_type::OBJECT)) out.usage = read_usage(*u);
  out.has_choices = of_type(choices, element_type::ARRAY).has_value();
  if (!out.has_choices) return out;
  const std::string_view said = part == AnswerPart::message ? "message" : "delta";
  bool first = true;
  for (const element choice : array_of(*choices)) {
    out.choices_empty = false;
    const auto [message, logprobs] = fields<2>(choice, {said, "logprobs"});
    if (auto m = of_type(message, element_type::OBJECT)) out.answer_code_points += message_code_points(*m);
    if (first && max_logprobs > 0) read_logprobs(logprobs, max_logprobs, out.logprobs);
    first = false;
  }
  return out;
}

}  // namespace

std::optional<AnswerFields> read_answer(std::string_view json, AnswerPart part, std::size_t max_logprobs) {
  // One parser per thread keeps its buffers between answers; a rare large
  // answer gets a parser of its own, so a thread does not keep its size for good.
  constexpr std::size_t kKeptParserBytes = 1 << 20;
  thread_local simdjson::dom::parser kept;
  std::optional<simdjson::dom::parser> own;
  auto& parser = json.size() <= kKeptParserBytes ? kept : own.emplace();
  auto doc = parser.parse(json.data(), json.size());
  std::string rewritten;
  if (doc.error()) {
    // simdjson refuses some JSON that Boost.JSON takes (an integer beyond 64
    // bits): such an answer is read from Boost.JSON's rewriting of it.
    boost::system::error_code ec;
    const auto v = parse_json(json, ec);
    if (ec || !v.is_object()) return std::nullopt;
    rewritten = boost::json::serialize(v);
    doc = parser.parse(rewritten.data(), rewritten.size());
    if (doc.error()) return std::nullopt;
  }
  const element answer = doc.value_unsafe();
  if (answer.type() != element_type::OBJECT) return std::nullopt;
  return read_fields(answer, part, max_logprobs);
}

}  // namespace fulcrum
