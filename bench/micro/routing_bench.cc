// Routing decision cost on a 2,000-token prompt, beside the cost of parsing the
// same request body (the baseline the ratio is taken against). Reports mean
// (Google Benchmark) and p50/p99 of individually timed calls, and RSS growth
// over 1M decisions. Run: build/bench/routing_bench [--benchmark_min_time=2]
// (DUMP_TIMES=file writes each real-prompt call as "prompt-index nanoseconds").
#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "config/load.h"
#include "learn/category_prior.h"
#include "learn/dataset.h"
#include "learn/number_counts.h"
#include "learn/task_kind.h"
#include "learn/text_features.h"
#include "openai/chat_request.h"
#include "routing/router.h"
#include "state/sticky_routes.h"

namespace {

using namespace fulcrum;

std::string body_tokens(std::size_t tokens) {
  std::string prompt;
  const char* words[] = {"Consider", "the", "integral", "of", "x", "squared", "over", "a", "bounded", "domain",
                         "and", "prove", "that", "the", "limit", "exists", "when", "n", "grows", "large"};
  for (int i = 0; prompt.size() < 4 * tokens; ++i) {  // ~4 characters per token
    prompt += words[i % 20];
    prompt += ' ';
  }
  return R"({"model":"auto","messages":[{"role":"system","content":"You are a careful mathematician."},)"
         R"({"role":"user","content":")" + prompt + R"("}],"temperature":0.2})";
}

std::string body_2000_tokens() { return body_tokens(2000); }

// Distinct ~2,000-token prompts of real text: consecutive MMLU prompts joined
// until each reaches 8,000 characters. Unlike the repeated-vocabulary prompt,
// every call sees new words, so the models' weight tables are read cold-ish
// (the realistic case). Empty when the shared data is not there.
std::vector<std::string> real_bodies(std::size_t count) {
  std::vector<std::string> bodies;
  auto data = load_dataset(std::string(FULCRUM_SOURCE_DIR) + "/../shared/data/routellm/mmlu.jsonl");
  if (!data) return bodies;
  std::size_t row = 0;
  while (bodies.size() < count && row < data->rows.size()) {
    std::string prompt;
    while (prompt.size() < 8000 && row < data->rows.size()) prompt += data->rows[row++].prompt + "\n";
    boost::json::object message{{"role", "user"}, {"content", prompt}};
    boost::json::object body{{"model", "auto"}, {"messages", boost::json::array{message}}};
    bodies.push_back(boost::json::serialize(body));
  }
  return bodies;
}

ConfigPtr config() {
  static ConfigPtr c = [] {
    auto r = load_config_file(std::string(FULCRUM_SOURCE_DIR) + "/examples/article-policy.yaml");
    if (!r.config) std::abort();
    return r.config;
  }();
  return c;
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

void report_percentiles(benchmark::State& state, std::vector<double>& ns) {
  std::sort(ns.begin(), ns.end());
  state.counters["p50_us"] = ns[ns.size() / 2] / 1000;
  state.counters["p99_us"] = ns[ns.size() * 99 / 100] / 1000;
}

void BM_ParseBody(benchmark::State& state) {
  const auto body = body_2000_tokens();
  std::vector<double> ns;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = parse_chat_request(body);
    benchmark::DoNotOptimize(r);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  report_percentiles(state, ns);
}
BENCHMARK(BM_ParseBody);

void BM_TextFeatures(benchmark::State& state) {
  auto req = parse_chat_request(body_2000_tokens());
  const auto text = req->prompt_text();
  std::vector<Feature> out;
  for (auto _ : state) {
    extract_text_features(text, FeatureOptions{18, true, true}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["features"] = static_cast<double>(out.size());
}
BENCHMARK(BM_TextFeatures);

// Times each decision on one request body (no declared domain: the domain
// classifier runs too, on the same feature pass).
void time_decisions(benchmark::State& state, const std::string& body) {
  auto router = build_router(config());
  if (!router) std::abort();
  auto req = parse_chat_request(body);
  if (!req) std::abort();
  std::vector<double> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto d = (*router)->route(RouteInput{*req, nullptr, "req_0123456789abcdef"});
    benchmark::DoNotOptimize(d);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  report_percentiles(state, ns);
}

void BM_RouteDecision(benchmark::State& state) { time_decisions(state, body_2000_tokens()); }
BENCHMARK(BM_RouteDecision);

// The same decision on prompts of 2,000 to 100,000 tokens: the models read a
// bounded head and tail, so what grows with the prompt is the rest (its text
// gathered from the messages, the token estimate, the code/math markers).
void BM_RouteDecisionByPromptSize(benchmark::State& state) {
  time_decisions(state, body_tokens(static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_RouteDecisionByPromptSize)->Arg(2000)->Arg(20000)->Arg(100000);

void BM_RouteDecisionRealPrompts(benchmark::State& state) {
  auto router = build_router(config());
  if (!router) std::abort();
  std::vector<ChatRequest> requests;
  for (const auto& body : real_bodies(256)) {
    auto parsed = parse_chat_request(body);
    if (!parsed) std::abort();
    requests.push_back(std::move(parsed.value()));
  }
  if (requests.empty()) {
    state.SkipWithError("../shared/data/routellm/mmlu.jsonl not found");
    return;
  }
  std::vector<double> ns;
  ns.reserve(1 << 20);
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& req = requests[next++ % requests.size()];
    const auto t0 = std::chrono::steady_clock::now();
    auto d = (*router)->route(RouteInput{req, nullptr, "req_0123456789abcdef"});
    benchmark::DoNotOptimize(d);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  if (std::getenv("DUMP_TIMES")) {
    std::ofstream out(std::getenv("DUMP_TIMES"));
    for (std::size_t i = 0; i < ns.size(); ++i) out << i % requests.size() << ' ' << ns[i] << '\n';
  }
  report_percentiles(state, ns);
  state.counters["prompts"] = static_cast<double>(requests.size());
}
BENCHMARK(BM_RouteDecisionRealPrompts);

// The number counts' share of a decision (learn/number_counts.h): the
// windows the shape reads of the 256 real prompts and of the 2,000-token one.
void BM_NumberCounts(benchmark::State& state) {
  auto bodies = real_bodies(256);
  bodies.push_back(body_tokens(2000));
  std::vector<std::string> texts;
  for (const auto& body : bodies) {
    auto req = parse_chat_request(body);
    if (!req) std::abort();
    texts.push_back(req->prompt_text());
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const auto window = PromptWindow::of(texts[next++ % texts.size()]);
    NumberCounter counter;
    counter.add(window.head);
    counter.add(window.tail);
    benchmark::DoNotOptimize(counter.counts());
  }
}
BENCHMARK(BM_NumberCounts);

// The words the text features hash of each body's prompt (the shipped model's options).
std::vector<PromptWords> words_of(const std::vector<std::string>& bodies) {
  std::vector<PromptWords> words;
  std::vector<Feature> scratch;
  for (const auto& body : bodies) {
    auto req = parse_chat_request(body);
    if (!req) std::abort();
    words.emplace_back();
    extract_text_features(req->prompt_text(), FeatureOptions{18, true, true}, scratch, false, &words.back());
  }
  return words;
}

// The category prior's share of a decision on real prompts: naive Bayes over
// each prompt's first 256 words, with the prior trained on the MMLU rows.
void BM_CategoryPriorRealPrompts(benchmark::State& state) {
  auto data = load_dataset(std::string(FULCRUM_SOURCE_DIR) + "/../shared/data/routellm/mmlu.jsonl");
  if (!data) {
    state.SkipWithError("../shared/data/routellm/mmlu.jsonl not found");
    return;
  }
  std::vector<const LabeledPrompt*> rows;
  for (const auto& r : data->rows) rows.push_back(&r);
  auto pair = choose_pair(*data);
  const auto prior = CategoryPrior::train(rows, *pair, CategoryPriorOptions{});
  const auto words = words_of(real_bodies(256));
  std::size_t next = 0;
  for (auto _ : state) benchmark::DoNotOptimize(prior->gain(words[next++ % words.size()]));
}
BENCHMARK(BM_CategoryPriorRealPrompts);

// The task kind's share of a decision: one cue-table probe per word read
// (learn/task_kind.h), on the words of the 256 real prompts and of the
// 2,000-token prompt (its first 256 words).
void BM_TaskKind(benchmark::State& state) {
  auto bodies = real_bodies(256);
  bodies.push_back(body_tokens(2000));
  const auto words = words_of(bodies);
  std::size_t next = 0;
  for (auto _ : state) benchmark::DoNotOptimize(read_task_kind(words[next++ % words.size()]));
}
BENCHMARK(BM_TaskKind);

// RSS before and after 1M decisions: per-request heap growth would show here.
void BM_RouteMemoryOver1M(benchmark::State& state) {
  auto router = build_router(config());
  auto req = parse_chat_request(body_2000_tokens());
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) benchmark::DoNotOptimize((*router)->route(RouteInput{*req, nullptr, "warm"}));
    const long before = rss_kb();
    for (int i = 0; i < 1000000; ++i) benchmark::DoNotOptimize((*router)->route(RouteInput{*req, nullptr, "r"}));
    state.counters["rss_growth_kb"] = static_cast<double>(rss_kb() - before);
  }
}
BENCHMARK(BM_RouteMemoryOver1M)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

// router.sticky's memory on a routed request (the in-process store): find
// the previous turn's tier, then remember this turn's, for a conversation of
// 8 messages (~4 KB). A new conversation every 64 calls, as traffic brings.
void BM_StickyMemoryPerRoutedRequest(benchmark::State& state) {
  auto store = make_local_store(100000);
  StickyRoutes sticky(StickyMode::tool_loops, std::chrono::minutes(60), *store);
  std::vector<ChatRequest> requests;
  for (int c = 0; c < 64; ++c) {
    boost::json::array messages;
    messages.push_back(boost::json::object{{"role", "system"}, {"content", "You are a helpful assistant. " + std::to_string(c)}});
    for (int t = 0; t < 7; ++t)
      messages.push_back(boost::json::object{{"role", t % 2 ? "assistant" : "user"},
                                             {"content", std::string(500, static_cast<char>('a' + t)) + std::to_string(c)}});
    auto req = parse_chat_request(boost::json::serialize(boost::json::object{{"model", "auto"}, {"messages", messages}}));
    if (!req) std::abort();
    requests.push_back(std::move(req.value()));
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& req = requests[next++ % requests.size()];
    const auto keys = StickyRoutes::keys(req, "team-a");
    benchmark::DoNotOptimize(sticky.previous(keys));
    sticky.remember(keys, "flash");
  }
}
BENCHMARK(BM_StickyMemoryPerRoutedRequest);

BENCHMARK_MAIN();
