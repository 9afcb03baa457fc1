// The decision tools on hand-made workloads whose answers are worked out by
// hand here: costs, quality, tier mix, latency, the cascade, the oracle,
// calibration targets, break-even, the decision matrix, the config writer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "app/config_edit.h"
#include "config/load.h"
#include "core/stable_hash.h"
#include "learn/dataset.h"
#include "report/svg_chart.h"
#include "routing/policy.h"
#include "sim/breakeven.h"
#include "sim/calibrate.h"
#include "sim/policy_replay.h"
#include "sim/recommend.h"
#include "sim/report.h"
#include "sim/simulate.h"
#include "sim/workload.h"

namespace fulcrum {
namespace {

// cheap: $1 in / $2 out per 1M tokens; strong: $10 / $20. Latency profiles
// with p50 == p95 make every draw exact.
const std::string kConfig = R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  cheap:
    provider: p
    model: c
    price: {input: 1, cached_input: 0.5, output: 2}
    latency: {ttft_p50_ms: 100, ttft_p95_ms: 100, tokens_per_second: 10}
  strong:
    provider: p
    model: s
    price: {input: 10, cached_input: 1, output: 20}
    latency: {ttft_p50_ms: 1000, ttft_p95_ms: 1000, tokens_per_second: 5}
router:
  default: cheap
)";

// Every row: 1000 prompt tokens; the weak model answers in 500 tokens, the
// strong one in 250. So cheap costs 1000 x 1e-6 + 500 x 2e-6 = $0.002 a
// request and strong 1000 x 1e-5 + 250 x 2e-5 = $0.015.
//   row  w  s  weak logprobs
//   r1   1  1  [-0.1]
//   r2   0  1  [-2.0]
//   r3   0  0  [-1.0]
//   r4   1  0  (none)
const std::string kRows =
    R"({"id":"r1","prompt":"one","outcomes":{"w":{"score":1,"usage":{"prompt_tokens":1000,"completion_tokens":500},"logprobs":[-0.1]},"s":{"score":1,"usage":{"prompt_tokens":1000,"completion_tokens":250}}}}
{"id":"r2","prompt":"two","metadata":{"x-fulcrum-task":"hard"},"outcomes":{"w":{"score":0,"usage":{"prompt_tokens":1000,"completion_tokens":500},"logprobs":[-2.0]},"s":{"score":1,"usage":{"prompt_tokens":1000,"completion_tokens":250}}}}
{"id":"r3","prompt":"three","metadata":{"x-fulcrum-task":"hard"},"outcomes":{"w":{"score":0,"usage":{"prompt_tokens":1000,"completion_tokens":500},"logprobs":[-1.0]},"s":{"score":0,"usage":{"prompt_tokens":1000,"completion_tokens":250}}}}
{"id":"r4","prompt":"four","outcomes":{"w":{"score":1,"usage":{"prompt_tokens":1000,"completion_tokens":500}},"s":{"score":0,"usage":{"prompt_tokens":1000,"completion_tokens":250}}}}
)";

struct Fixture {
  ConfigPtr config;
  Dataset data;
  Workload w;
};

Fixture make(const std::string& router_yaml = "", WorkloadOptions options = {}) {
  Fixture f;
  auto c = load_config_text(kConfig + router_yaml, "test.yaml");
  EXPECT_TRUE(c.config) << (c.errors.empty() ? "" : c.errors.front());
  f.config = c.config;
  auto d = parse_dataset(kRows, "rows.jsonl");
  EXPECT_TRUE(d) << d.error().message;
  f.data = std::move(d.value());
  auto w = build_workload(f.data, ModelPair{"w", "s"}, *f.config, options);
  EXPECT_TRUE(w) << w.error().message;
  f.w = std::move(w.value());
  return f;
}

TEST(Workload, MapsTheWeakModelToTheCheapestTierAndReadsUsage) {
  auto f = make();
  EXPECT_EQ(f.w.tiers[f.w.weak_tier].name, "cheap");
  EXPECT_EQ(f.w.tiers[f.w.strong_tier].name, "strong");
  EXPECT_DOUBLE_EQ(f.w.cost_usd(0, 0), 0.002);
  EXPECT_DOUBLE_EQ(f.w.cost_usd(0, 1), 0.015);
}

TEST(Workload, CacheHitRateBlendsTheInputPrice) {
  WorkloadOptions o;
  o.cache_hit_rate = 0.5;  // input at (1 + 0.5) / 2 = $0.75 per 1M
  auto f = make("", o);
  EXPECT_NEAR(f.w.cost_usd(0, 0), 1000 * 0.75e-6 + 500 * 2e-6, 1e-15);
}

TEST(Workload, TimeWindowsAreAveragedOverTheDay) {
  // Half the day at half price: the mean output price is $1.5 per 1M.
  auto c = load_config_text(R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  cheap: {provider: p, model: c, price: {input: 1, output: 2, windows: [{from: "00:00", to: "12:00", output: 1}]}}
  strong: {provider: p, model: s, price: {input: 10, output: 20}}
router: {default: cheap}
)", "t.yaml");
  ASSERT_TRUE(c.config);
  auto d = parse_dataset(kRows, "rows.jsonl");
  ASSERT_TRUE(d);
  auto w = build_workload(*d, ModelPair{"w", "s"}, *c.config, {});
  ASSERT_TRUE(w);
  EXPECT_NEAR(w->cost_usd(0, 0), 1000 * 1e-6 + 500 * 1.5e-6, 1e-15);
}

TEST(Workload, TokensOverrideReplacesTheDataSizes) {
  WorkloadOptions o;
  o.tokens = TokenSizes{2000, 500};
  o.tokens_override = true;
  auto f = make("", o);
  EXPECT_DOUBLE_EQ(f.w.cost_usd(0, 1), 2000 * 1e-5 + 500 * 2e-5);
}

TEST(Workload, ClearErrors) {
  auto c = load_config_text(kConfig, "t.yaml");
  ASSERT_TRUE(c.config);
  auto no_sizes = parse_dataset(R"({"id":"x","prompt":"p","outcomes":{"w":{"score":1},"s":{"score":0}}})", "d.jsonl");
  ASSERT_TRUE(no_sizes);
  // No answer size in the data and no --tokens: a default, and said so.
  auto w = build_workload(*no_sizes, ModelPair{"w", "s"}, *c.config, {});
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->rows[0].tokens[0].output, kDefaultOutputTokens);
  ASSERT_FALSE(w->notes.empty());
  EXPECT_NE(w->notes.back().find("output 300 tokens for 2 answers the data gives no size for"), std::string::npos)
      << w->notes.back();

  WorkloadOptions bad_map;
  bad_map.outcomes = {{"nope", "w"}};
  w = build_workload(*no_sizes, ModelPair{"w", "s"}, *c.config, bad_map);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "--outcome nope=w: the config has no tier nope");
  bad_map.outcomes = {{"cheap", "gpt-9"}};
  w = build_workload(*no_sizes, ModelPair{"w", "s"}, *c.config, bad_map);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "--outcome cheap=gpt-9: the data has no model gpt-9");

  auto free = load_config_text(R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  cheap: {provider: p, model: c, price: {input: 0, output: 0}}
  strong: {provider: p, model: s, price: {input: 10, output: 20}}
router: {default: cheap}
)", "t.yaml");
  ASSERT_TRUE(free.config);
  w = build_workload(*no_sizes, ModelPair{"w", "s"}, *free.config, {});
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("tier cheap has no price"), std::string::npos) << w.error().message;
}

TEST(Simulate, AllTierStrategiesCostAndScoreAsWorkedOutByHand) {
  auto f = make();
  auto cheap = evaluate_routes(f.w, "all cheap", "tier", routes_all(f.w, 0));
  EXPECT_DOUBLE_EQ(cheap.cost_per_request_usd, 0.002);
  EXPECT_DOUBLE_EQ(*cheap.quality, 0.5);
  EXPECT_DOUBLE_EQ(cheap.share[0], 1.0);
  EXPECT_DOUBLE_EQ(*cheap.p95_ttft_ms, 100);
  EXPECT_DOUBLE_EQ(*cheap.p95_latency_ms, 100 + 500.0 / 10 * 1000);
  auto strong = evaluate_routes(f.w, "all strong", "tier", routes_all(f.w, 1));
  EXPECT_DOUBLE_EQ(strong.cost_per_request_usd, 0.015);
  EXPECT_DOUBLE_EQ(*strong.quality, 0.5);
  EXPECT_DOUBLE_EQ(*strong.p95_latency_ms, 1000 + 250.0 / 5 * 1000);
}

TEST(Simulate, AConversationResendsItsPrefixCachedOnlyWhenItStaysOnATier) {
  // The four rows as turns 1-4 of one conversation, listed out of order.
  std::string rows;
  std::istringstream lines(kRows);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) all.push_back(line);
  for (std::size_t k = all.size(); k-- > 0;)
    rows += all[k].substr(0, all[k].size() - 1) + R"(,"conversation":"c","turn":)" + std::to_string(k + 1) + "}\n";
  auto c = load_config_text(kConfig, "test.yaml");
  ASSERT_TRUE(c.config);
  auto d = parse_dataset(rows, "rows.jsonl");
  ASSERT_TRUE(d) << d.error().message;
  auto w = build_workload(*d, ModelPair{"w", "s"}, *c.config, {});
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_NE(w->notes.front().find("1 conversations (4 turns)"), std::string::npos) << w->notes.front();
  // All on cheap: turn k resends (k - 1) x (1000 + 500) tokens at cheap's hit price, $0.5 per 1M.
  auto cheap = evaluate_routes(*w, "all cheap", "tier", routes_all(*w, 0));
  EXPECT_NEAR(cheap.cost_per_request_usd * 4, 4 * 0.002 + (1500 + 3000 + 4500) * 0.5e-6, 1e-12);
  // Alternating (in turn order cheap, strong, cheap, strong): every move pays the miss price.
  std::vector<Route> alternate(4);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto turn = w->rows[i].source->turn;
    alternate[i] = Route{turn % 2 == 1 ? std::size_t{0} : std::size_t{1}, std::nullopt, 0};
  }
  auto moving = evaluate_routes(*w, "alternate", "split", alternate);
  const double prefix = 1500 * 1e-5 + 2750 * 1e-6 + 4250 * 1e-5;  // strong miss, cheap miss, strong miss
  EXPECT_NEAR(moving.cost_per_request_usd * 4, 2 * 0.002 + 2 * 0.015 + prefix, 1e-12);
  // A turn without a conversation has nothing to be replayed after: it is a request of its own.
  auto lone = parse_dataset(R"({"prompt":"x","turn":2,"outcomes":{"w":{"score":1}}})", "t.jsonl");
  ASSERT_TRUE(lone);
  EXPECT_EQ(lone->rows[0].turn, 0);
  EXPECT_EQ(lone->turns_without_conversation, 1u);
}

TEST(Simulate, OracleTakesTheCheapestTierWithTheBestScore) {
  auto f = make();
  // r1 tie -> cheap; r2 -> strong; r3 tie -> cheap; r4 -> cheap.
  auto o = evaluate_routes(f.w, "oracle", "oracle", routes_oracle(f.w));
  EXPECT_DOUBLE_EQ(*o.quality, 0.75);
  EXPECT_DOUBLE_EQ(o.cost_per_request_usd, (3 * 0.002 + 0.015) / 4);
  EXPECT_DOUBLE_EQ(o.share[1], 0.25);
}

TEST(Simulate, CascadeEscalatesOnLowFirstTokenConfidenceAndPaysBothCalls) {
  auto f = make();
  CascadePlan plan;  // first token, threshold -0.5, a missing signal is accepted
  plan.cheap = 0;
  plan.strong = 1;
  auto c = evaluate_routes(f.w, "cascade", "cascade", routes_cascade(f.w, plan));
  // r2 (-2.0) and r3 (-1.0) escalate; r1 (-0.1) and r4 (no logprobs) stay.
  EXPECT_DOUBLE_EQ(c.escalation_rate, 0.5);
  EXPECT_DOUBLE_EQ(c.cost_per_request_usd, (2 * 0.002 + 2 * (0.002 + 0.015)) / 4);
  EXPECT_DOUBLE_EQ(*c.quality, 0.75);  // r1 w=1, r2 s=1, r3 s=0, r4 w=1
  // Escalated: 100 ms + 1 token at 10/s + 1000 ms to the strong tier's first token.
  EXPECT_DOUBLE_EQ(*c.p95_ttft_ms, 1200);

  plan.escalate_on_missing = true;
  c = evaluate_routes(f.w, "cascade", "cascade", routes_cascade(f.w, plan));
  EXPECT_DOUBLE_EQ(c.escalation_rate, 0.75);
  EXPECT_DOUBLE_EQ(logprob_coverage(f.w, 0), 0.75);
}

TEST(Simulate, LatencyDrawsFollowTheProfilesPercentiles) {
  auto c = load_config_text(R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  cheap: {provider: p, model: c, price: {input: 1, output: 2}, latency: {ttft_p50_ms: 100, ttft_p95_ms: 300, tokens_per_second: 50}}
  strong: {provider: p, model: s, price: {input: 10, output: 20}}
router: {default: cheap}
)", "t.yaml");
  ASSERT_TRUE(c.config);
  std::string rows;
  for (int i = 0; i < 20000; ++i)
    rows += R"({"id":"r)" + std::to_string(i) + R"(","prompt":"p","outcomes":{"w":{"score":1},"s":{"score":1}}})" "\n";
  auto d = parse_dataset(rows, "d.jsonl");
  ASSERT_TRUE(d);
  WorkloadOptions o;
  o.tokens = TokenSizes{10, 0};
  auto w = build_workload(*d, ModelPair{"w", "s"}, *c.config, o);
  ASSERT_TRUE(w);
  auto r = evaluate_routes(*w, "all cheap", "tier", routes_all(*w, 0));
  EXPECT_NEAR(*r.p95_ttft_ms, 300, 15);
  auto strong = evaluate_routes(*w, "all strong", "tier", routes_all(*w, 1));
  EXPECT_FALSE(strong.p95_ttft_ms) << "no latency profile: p95 unknown, not made up";
}

TEST(Simulate, SplitSendsTheGivenShareStablyPerRow) {
  auto f = make();
  auto none = routes_split(f.w, 0);
  auto all = routes_split(f.w, 100);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(none[i].tier, 0u);
    EXPECT_EQ(all[i].tier, 1u);
  }
}

TEST(Simulate, SplitPlacesRowsAsTheGatewaysSplitPolicyPlacesRequestIds) {
  auto f = make(R"(  policies:
    - type: split
      weights: {cheap: 70, strong: 30}
)");
  auto policy = make_policy(f.config->router.policies[0], *f.config);
  const auto routes = routes_split(f.w, 30);
  for (std::size_t i = 0; i < f.w.rows.size(); ++i) {
    auto d = policy->decide(RequestFeatures{}, RouteContext{stable_hash(f.w.rows[i].source->id), 0});
    ASSERT_TRUE(d);
    EXPECT_EQ(routes[i].tier, d->tier) << f.w.rows[i].source->id;
  }
}

TEST(PolicyReplay, RoutesEachRowWithItsMetadataAndGroupsReasons) {
  auto f = make(R"(  policies:
    - type: rules
      rules: [{name: hard_tasks, when: {task: [hard]}, tier: strong}]
)");
  auto r = replay_policy(f.w, f.config, {}, {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->routes.size(), 4u);
  EXPECT_EQ(r->routes[0].tier, 0u);
  EXPECT_EQ(r->routes[1].tier, 1u);
  EXPECT_EQ(r->routes[2].tier, 1u);
  EXPECT_EQ(r->routes[3].tier, 0u);
  ASSERT_EQ(r->reasons.size(), 2u);
  EXPECT_EQ(r->reasons[0].second, 2u);
}

TEST(PolicyReplay, ALaterTurnIsRoutedOnItsConversationSoFar) {
  // Turn 2 alone holds no code; the gateway would be sent turn 1 with it, and
  // turn 1's answer from the tier that gave it (read here: roles user and assistant).
  const std::string rows =
      R"({"id":"t2","prompt":"and shorter?","conversation":"c","turn":2,"outcomes":{"w":{"score":1},"s":{"score":1}}}
{"id":"t1","prompt":"hello","conversation":"c","turn":1,"outcomes":{"w":{"score":1,"response":"```python\nprint(1)\n```"},"s":{"score":1,"response":"hi"}}}
{"id":"lone","prompt":"and shorter?","outcomes":{"w":{"score":1},"s":{"score":1}}}
)";
  auto c = load_config_text(kConfig + R"(  prompt: {roles: [user, assistant]}
  policies:
    - type: rules
      rules:
        - {name: code, when: {has_code: true}, tier: strong}
        - {name: follow_up, when: {message_count: {gte: 3}}, tier: strong}
)", "test.yaml");
  ASSERT_TRUE(c.config) << (c.errors.empty() ? "" : c.errors.front());
  WorkloadOptions o;
  o.tokens = TokenSizes{10, 10};
  auto d = parse_dataset(rows, "rows.jsonl");
  ASSERT_TRUE(d) << d.error().message;
  auto w = build_workload(*d, ModelPair{"w", "s"}, *c.config, o);
  ASSERT_TRUE(w) << w.error().message;
  auto r = replay_policy(*w, c.config, {}, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->routes[1].tier, 0u) << "turn 1: one message, no code";
  EXPECT_EQ(r->routes[2].tier, 0u) << "the same words alone";
  EXPECT_EQ(r->routes[0].tier, 1u) << "turn 2 reads turn 1's answer from the cheap tier";
  bool code = false;
  for (const auto& [reason, n] : r->reasons) code = code || reason.find("code") != std::string::npos;
  EXPECT_TRUE(code) << "the code rule, not the message count, decided turn 2";

  // Without the answer's code, the message count still sees three messages.
  auto plain = load_config_text(kConfig + R"(  policies:
    - type: rules
      rules: [{name: follow_up, when: {message_count: {gte: 3}}, tier: strong}]
)", "test.yaml");
  ASSERT_TRUE(plain.config);
  w = build_workload(*d, ModelPair{"w", "s"}, *plain.config, o);
  ASSERT_TRUE(w);
  r = replay_policy(*w, plain.config, {}, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->routes[0].tier, 1u);
  EXPECT_EQ(r->routes[1].tier, 0u);
}

TEST(Calibrate, EachTargetPicksTheCutWorkedOutByHand) {
  auto f = make();
  // Scores by row: r1 0.9, r2 0.8, r3 0.1, r4 0.2. Sending the top k to
  // strong: quality 0.5, 0.5, 0.75, 0.5, 0.5; daily cost at 1000/day
  // $2, $5.25, $8.50, $11.75, $15.
  const std::vector<double> scores{0.9, 0.8, 0.1, 0.2};
  using K = CalibrationTarget::Kind;
  auto share = calibrate_threshold(f.w, scores, 0, 1, {K::strong_share, 0.5, 0});
  ASSERT_TRUE(share);
  EXPECT_EQ(share->high_rows, 2u);
  EXPECT_DOUBLE_EQ(share->threshold, 0.5);  // midway between 0.8 and 0.2

  auto quality = calibrate_threshold(f.w, scores, 0, 1, {K::quality_fraction, 1.4, 0});  // 0.7
  ASSERT_TRUE(quality);
  EXPECT_EQ(quality->high_rows, 2u);
  auto enough = calibrate_threshold(f.w, scores, 0, 1, {K::quality_fraction, 1.0, 0});
  ASSERT_TRUE(enough);
  EXPECT_EQ(enough->high_rows, 0u) << "all-cheap already matches all-strong here";
  EXPECT_GT(enough->threshold, 0.9);
  auto impossible = calibrate_threshold(f.w, scores, 0, 1, {K::quality_fraction, 1.6, 0});
  ASSERT_FALSE(impossible);
  EXPECT_NE(impossible.error().message.find("the best is 150.0%"), std::string::npos) << impossible.error().message;

  auto budget = calibrate_threshold(f.w, scores, 0, 1, {K::daily_budget, 9, 1000});
  ASSERT_TRUE(budget);
  EXPECT_EQ(budget->high_rows, 2u);
  auto tight = calibrate_threshold(f.w, scores, 0, 1, {K::daily_budget, 5, 1000});
  ASSERT_TRUE(tight);
  EXPECT_EQ(tight->high_rows, 0u) << "$5.25 for one strong row is over $5";
  auto broke = calibrate_threshold(f.w, scores, 0, 1, {K::daily_budget, 1, 1000});
  ASSERT_FALSE(broke);
  EXPECT_NE(broke.error().message.find("all-cheap costs $2.00 a day"), std::string::npos) << broke.error().message;
}

TEST(Calibrate, TiesAreNeverSplit) {
  auto f = make();
  const std::vector<double> scores{0.5, 0.5, 0.5, 0.1};
  auto c = calibrate_threshold(f.w, scores, 0, 1, {CalibrationTarget::Kind::strong_share, 0.25, 0});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->high_rows == 0 || c->high_rows == 3) << c->high_rows;
}

TEST(Breakeven, TheArticlesExample) {
  // $0.00028 vs $0.00500 per request: $0.00472 more for the strong tier.
  auto b = breakeven({0.00028, 0.005, 10, 500000, std::nullopt, std::nullopt});
  EXPECT_NEAR(b.cost_difference_usd, 0.00472, 1e-12);
  EXPECT_EQ(std::llround(b.requests_per_error), 2119);  // the article's 2,119
  EXPECT_NEAR(b.error_rate_gap, 0.000472, 1e-12);
  EXPECT_NEAR(*b.errors_per_day, 236, 1e-9);
  // $100 per error: the strong tier pays off ten times sooner, at one extra
  // error per 21,186 requests. (The article prints 212 here; that is the
  // figure for a $1 error, 1 / 0.00472.)
  EXPECT_EQ(std::llround(breakeven({0.00028, 0.005, 100, 0, std::nullopt, std::nullopt}).requests_per_error), 21186);
  EXPECT_EQ(std::llround(breakeven({0.00028, 0.005, 1, 0, std::nullopt, std::nullopt}).requests_per_error), 212);
  EXPECT_FALSE(b.upgrade);

  // Measured: 2.3% vs 1.1% errors at $10 each is $0.12 a request of errors,
  // far above $0.00472: upgrade. At $0.10 an error it is $0.0012: stay.
  auto m = breakeven({0.00028, 0.005, 10, 0, 0.023, 0.011});
  EXPECT_TRUE(*m.upgrade);
  EXPECT_NEAR(*m.error_cost_per_request_usd, 0.12, 1e-12);
  EXPECT_FALSE(*breakeven({0.00028, 0.005, 0.1, 0, 0.023, 0.011}).upgrade);
}

TEST(Recommend, FollowsTheArticlesDecisionMatrix) {
  RecommendInput in;
  in.cheap = "flash";
  in.strong = "pro";
  using K = Recommendation::Kind;
  in.complex_share = 0.005;
  in.cheap_error_rate = 0.02;
  EXPECT_EQ(recommend(in).kind, K::cheap_only);
  in.cheap_error_rate = 0.08;  // simple, but errs too often
  EXPECT_EQ(recommend(in).kind, K::smart_route);
  in.complex_share = 0.03;
  auto r = recommend(in);
  EXPECT_EQ(r.kind, K::smart_route);
  EXPECT_DOUBLE_EQ(r.strong_share, 0.10);
  in.complex_share = 0.12;
  EXPECT_EQ(recommend(in).kind, K::smart_route);
  in.complex_share = 0.30;
  r = recommend(in);
  EXPECT_EQ(r.kind, K::hybrid_threshold);
  EXPECT_EQ(r.situation, "mixed workload (20-40% complex)");
  in.complex_share = 0.70;
  EXPECT_EQ(recommend(in).kind, K::all_strong);
  in.daily_budget_usd = 100;
  in.all_strong_daily_usd = 500;
  EXPECT_EQ(recommend(in).kind, K::hybrid_threshold) << "all strong breaks the budget";
  in.latency_budget_ms = 200;
  in.strong_p95_ttft_ms = 1100;
  in.cheap_p95_ttft_ms = 140;
  r = recommend(in);
  EXPECT_EQ(r.kind, K::latency_cheap_only);
  EXPECT_EQ(r.recommendation, "flash only, accept the quality trade-off");
}

TEST(Report, TableJsonAndChartCarryEveryStrategy) {
  auto f = make();
  SimulationReport r;
  r.data_source = "rows.jsonl";
  r.rows = 4;
  r.requests_per_day = 1000;
  r.folds = 2;
  r.tier_names = {"cheap", "strong"};
  r.tier_models = {"w", "s"};
  r.strong_tier = 1;
  r.strategies.push_back(evaluate_routes(f.w, "all cheap", "tier", routes_all(f.w, 0)));
  r.strategies.push_back(evaluate_routes(f.w, "all strong", "tier", routes_all(f.w, 1)));
  r.strategies.push_back(evaluate_routes(f.w, "oracle (ceiling)", "oracle", routes_oracle(f.w)));
  const auto table = format_table(r, false);
  EXPECT_NE(table.find("all cheap"), std::string::npos);
  EXPECT_NE(table.find("$2.00"), std::string::npos) << table;   // 1000 x $0.002
  EXPECT_NE(table.find("$15.00"), std::string::npos) << table;  // 1000 x $0.015
  EXPECT_NE(table.find("86.7%"), std::string::npos) << table;   // 1 - 2/15 saved
  const auto md = format_table(r, true);
  EXPECT_NE(md.find("| all strong"), std::string::npos) << md;
  auto json = boost::json::parse(format_json(r));
  const auto& s = json.at("strategies").as_array();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[1].at("daily_cost_usd").as_double(), 15.0);
  EXPECT_DOUBLE_EQ(s[2].at("quality").as_double(), 0.75);
  EXPECT_NEAR(s[0].at("savings_vs_all_strong").as_double(), 1 - 2.0 / 15, 1e-12);
  const auto svg = render_svg(cost_quality_chart(r));
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  for (const char* label : {"all cheap", "all strong", "oracle (ceiling)", "Pareto frontier"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
}

TEST(SvgChart, EscapesTextAndKeepsLabelsApart) {
  Chart c;
  c.title = "a < b & c";
  ChartSeries s{ChartSeries::Style::markers, "", "red", {}, false};
  for (int i = 0; i < 5; ++i) s.points.push_back(ChartPoint{1.0, 1.0 + i * 1e-6, "same spot " + std::to_string(i)});
  c.series = {s};
  const auto svg = render_svg(c);
  EXPECT_NE(svg.find("a &lt; b &amp; c"), std::string::npos);
  // Five labels for one spot: each on its own line (distinct y).
  std::set<std::string> ys;
  for (std::size_t pos = 0; (pos = svg.find(">same spot", pos)) != std::string::npos; ++pos) {
    const auto tag = svg.rfind("<text", pos);
    const auto y = svg.find("y=\"", tag);
    ys.insert(svg.substr(y, svg.find('"', y + 3) - y));
  }
  EXPECT_EQ(ys.size(), 5u);
}

TEST(Dataset, UsageLogprobsAndMetadataAreReadAndCheckedByLine) {
  auto d = parse_dataset(kRows, "rows.jsonl");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rows[0].usage.at("s").completion_tokens, 250);
  EXPECT_EQ(d->rows[1].logprobs.at("w").front(), -2.0);
  EXPECT_EQ(d->rows[1].metadata_json, R"({"x-fulcrum-task":"hard"})");
  auto bad = parse_dataset(
      "{\"prompt\":\"a\",\"outcomes\":{\"w\":{\"score\":1}}}\n"
      "{\"prompt\":\"b\",\"outcomes\":{\"w\":{\"score\":1,\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":2}}}}\n",
      "d.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "d.jsonl:2: outcomes.w.usage.prompt_tokens: is required and must be a non-negative integer");
  bad = parse_dataset("{\"prompt\":\"b\",\"outcomes\":{\"w\":{\"score\":1,\"logprobs\":[0.5]}}}\n", "d.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("d.jsonl:1: outcomes.w.logprobs"), std::string::npos);
  bad = parse_dataset("{\"prompt\":\"b\",\"metadata\":[1],\"outcomes\":{\"w\":{\"score\":1}}}\n", "d.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "d.jsonl:1: metadata: must be an object");
  bad = parse_dataset("\n\n", "d.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "d.jsonl: the workload has no usable rows");
}

class ConfigEdit : public ::testing::Test {
 protected:
  std::string path = (std::filesystem::temp_directory_path() / ("fulcrum-edit-" + std::to_string(getpid()) + ".yaml")).string();
  void TearDown() override { std::filesystem::remove(path); }
  void write(const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }
  std::string read() {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

const std::string kThresholdConfig = R"(# my config: keep this comment
providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  cheap: {provider: p, model: c, price: {input: 1, output: 2}}
  mid: {provider: p, model: m, price: {input: 5, output: 10}}
  strong: {provider: p, model: s, price: {input: 10, output: 20}}
router:
  default: cheap
  policies:
    - type: rules    # a comment here too
      rules: [{name: r, when: {task: [x]}, tier: strong}]
    - type: threshold
      on: complexity
      below: cheap
      levels:
        - {at: 3, tier: mid}     # the mid cut
        - at: 7.5
          tier: strong
)";

TEST_F(ConfigEdit, WritesOneValueAndKeepsTheRestByteForByte) {
  write(kThresholdConfig);
  auto st = write_threshold_level(path, 1, 1, 6.25);
  ASSERT_TRUE(st) << st.error().message;
  auto expected = kThresholdConfig;
  expected.replace(expected.find("at: 7.5"), 7, "at: 6.25");
  EXPECT_EQ(read(), expected);
  st = write_threshold_level(path, 1, 0, 2.5);
  ASSERT_TRUE(st) << st.error().message;
  auto loaded = load_config_file(path);
  ASSERT_TRUE(loaded.config);
  EXPECT_DOUBLE_EQ(loaded.config->router.policies[1].levels[0].first, 2.5);
  EXPECT_DOUBLE_EQ(loaded.config->router.policies[1].levels[1].first, 6.25);
}

TEST_F(ConfigEdit, AValueThatBreaksTheConfigLeavesTheFileUnchanged) {
  write(kThresholdConfig);
  auto st = write_threshold_level(path, 1, 0, 9);  // above the next level: levels must increase
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("file left unchanged"), std::string::npos) << st.error().message;
  EXPECT_EQ(read(), kThresholdConfig);
  st = write_threshold_level(path, 0, 0, 1);  // the rules policy has no levels
  ASSERT_FALSE(st);
  EXPECT_EQ(read(), kThresholdConfig);
}

}  // namespace
}  // namespace fulcrum
