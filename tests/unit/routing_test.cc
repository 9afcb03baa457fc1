// Policies and the router, from YAML config to decision and reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "config/load.h"
#include "core/token_estimate.h"
#include "learn/outcome_model.h"
#include "routing/policy.h"
#include "routing/router.h"
#include "synthetic_workload.h"

namespace fulcrum {
namespace {

const std::string kTiers = R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  flash: {provider: p, model: f, price: {input: 0.14, cached_input: 0.014, output: 0.28}}
  pro: {provider: p, model: pr, price: {input: 2.5, cached_input: 0.25, output: 10}}
  pro-max: {provider: p, model: pr, price: {input: 2.5, output: 10}}
)";

ConfigPtr load(const std::string& router_yaml) {
  auto r = load_config_text(kTiers + router_yaml, "test.yaml");
  std::string all;
  for (const auto& e : r.errors) all += e + "\n";
  EXPECT_TRUE(r.config) << all;
  return r.config;
}

std::vector<std::string> errors_of(const std::string& router_yaml) {
  return load_config_text(kTiers + router_yaml, "test.yaml").errors;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& e : v)
    if (e.find(s) != std::string::npos) return true;
  return false;
}

RouteContext ctx(std::uint64_t hash = 0) { return RouteContext{hash, 12 * 60}; }

}  // namespace

// The article's routing_policy(): domain risk >= 8 -> Pro; risk >= 5 and
// complexity > 5 -> Pro; error cost > $10 -> Pro; otherwise Flash.
TEST(RulesPolicy, ExpressesTheArticlesRoutingPolicy) {
  auto c = load(R"(router:
  default: flash
  policies:
    - type: rules
      rules:
        - {name: high-risk, when: {domain_risk: {gte: 8}}, tier: pro}
        - {name: risky-and-complex, when: {domain_risk: {gte: 5}, complexity: {gt: 5}}, tier: pro}
        - {name: costly-errors, when: {error_cost_usd: {gt: 10}}, tier: pro}
)");
  ASSERT_TRUE(c);
  auto policy = make_policy(c->router.policies[0], *c);
  RequestFeatures f;
  f.domain_risk = 9;
  auto d = policy->decide(f, ctx());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier, 1u);
  EXPECT_EQ(d->reason, "rule high-risk: domain_risk 9 >= 8 -> pro");

  f.domain_risk = 6;
  EXPECT_FALSE(policy->decide(f, ctx())) << "complexity unknown: the second rule cannot hold";
  f.complexity = 5.5;
  d = policy->decide(f, ctx());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "rule risky-and-complex: domain_risk 6 >= 5 and complexity 5.5 > 5 -> pro");
  f.complexity = 5.0;
  EXPECT_FALSE(policy->decide(f, ctx())) << "complexity must be strictly above 5";

  f.domain_risk = 0;
  f.error_cost_usd = 10;
  EXPECT_FALSE(policy->decide(f, ctx()));
  f.error_cost_usd = 10.01;
  d = policy->decide(f, ctx());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "rule costly-errors: error_cost_usd 10.01 > 10 -> pro");
}

// The article's document_router() table by task type.
TEST(RulesPolicy, ExpressesTheArticlesTaskTable) {
  auto c = load(R"(router:
  default: flash
  policies:
    - type: rules
      rules:
        - {name: pro_required, when: {task: [legal_contract, medical_diagnosis, financial_audit]}, tier: pro}
        - {name: flash_ok, when: {task: [classification, extraction, summarization]}, tier: flash}
    - type: split
      weights: {flash: 70, pro: 30}
)");
  ASSERT_TRUE(c);
  auto rules = make_policy(c->router.policies[0], *c);
  RequestFeatures f;
  f.task = "medical_diagnosis";
  EXPECT_EQ(rules->decide(f, ctx())->tier, 1u);
  EXPECT_EQ(rules->decide(f, ctx())->reason, "rule pro_required: task medical_diagnosis in legal_contract,... -> pro");
  f.task = "extraction";
  EXPECT_EQ(rules->decide(f, ctx())->tier, 0u);
  f.task = "brainstorm";  // hybrid: falls through to the 70/30 split
  EXPECT_FALSE(rules->decide(f, ctx()));
}

TEST(SplitPolicy, IsDeterministicPerRequestAndHonoursWeights) {
  auto c = load("router:\n  default: flash\n  policies: [{type: split, weights: {flash: 70, pro: 30}}]\n");
  ASSERT_TRUE(c);
  auto router = build_router(c);
  ASSERT_TRUE(router);
  auto req = parse_chat_request(R"({"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(req);
  int pro = 0;
  const int n = 10000;
  for (int i = 0; i < n; ++i) {
    const auto id = "req_" + std::to_string(i);
    auto a = (*router)->route(RouteInput{*req, nullptr, id});
    auto b = (*router)->route(RouteInput{*req, nullptr, id});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->tier_index, b->tier_index);
    pro += a->tier_index == 1;
  }
  EXPECT_NEAR(static_cast<double>(pro) / n, 0.30, 0.02);
}

TEST(RouterConfig, ReportsPolicyErrorsWithPaths) {
  auto e = errors_of(R"(router:
  default: flash
  policies:
    - type: rules
      rules:
        - {when: {colour: red}, tier: pro}
        - {when: {task: {gt: 3}}, tier: nowhere}
    - type: split
      weights: {flash: 0}
    - type: threshold
      below: flash
      levels: [{at: 0.3, tier: pro-max}, {at: 0.1, tier: pro}]
    - type: magic
)");
  EXPECT_TRUE(contains(e, "router.policies[0].rules[0].when.colour: unknown feature")) << e.size();
  EXPECT_TRUE(contains(e, "router.policies[0].rules[1].when.task.gt: task is text: use eq, ne or in"));
  EXPECT_TRUE(contains(e, "router.policies[0].rules[1].tier: names no tier \"nowhere\""));
  EXPECT_TRUE(contains(e, "router.policies[1].weights: the weights must add up to more than 0"));
  EXPECT_TRUE(contains(e, "router.policies[2].levels: levels must be in increasing order"));
  EXPECT_TRUE(contains(e, "router.policies[3].type: unknown policy type \"magic\""));
}

TEST(Router, ThresholdAndExpectedCostNeedTheModel) {
  auto c = load("router:\n  default: flash\n  policies: [{type: threshold, below: flash, levels: [{at: 0.2, tier: pro}]}]\n");
  ASSERT_TRUE(c);
  auto r = build_router(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("router.policies[0]: this policy needs the learned model"), std::string::npos);
}

TEST(Router, DeclaredFeaturesFromHeadersAndMetadata) {
  auto c = load(R"(router:
  default: flash
  domains: {medical: {risk: 9, error_cost_usd: 50}}
  policies:
    - type: rules
      rules: [{name: risky, when: {domain_risk: {gte: 8}}, tier: pro}]
)");
  auto router = build_router(c);
  ASSERT_TRUE(router);
  auto req = parse_chat_request(R"({"messages":[{"role":"user","content":"x"}],"metadata":{"x-fulcrum-domain":"medical","x-fulcrum-budget-usd":"0.5"}})");
  ASSERT_TRUE(req);
  auto d = (*router)->route(RouteInput{*req, nullptr, "r1"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u);
  EXPECT_EQ(d->features.domain, "medical");
  EXPECT_EQ(d->features.error_cost_usd, 50.0) << "the domain's error cost applies when none is declared";
  EXPECT_EQ(d->features.budget_usd, 0.5);

  HeaderLookup headers = [](std::string_view name) -> std::string_view {
    if (name == "x-fulcrum-domain") return "retail";
    if (name == "x-fulcrum-error-cost") return "2.5";
    return {};
  };
  d = (*router)->route(RouteInput{*req, headers, "r2"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u) << "the header wins over metadata";
  EXPECT_EQ(d->reason, "default tier flash");
  EXPECT_EQ(d->features.error_cost_usd, 2.5);

  HeaderLookup bad = [](std::string_view name) -> std::string_view {
    return name == "x-fulcrum-latency-budget-ms" ? "fast" : "";
  };
  auto e = (*router)->route(RouteInput{*req, bad, "r3"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().param, "x-fulcrum-latency-budget-ms");
}

TEST(Router, MeasuresTheCodeAndMathMarkersWhenAConditionReadsThem) {
  // In a policy's `when:` as in a rule's: either makes every decision look.
  for (const char* policies : {"[{type: rules, rules: [{name: code, when: {has_code: {eq: 1}}, tier: pro}]}]",
                               "[{type: split, when: {has_math: {eq: 0}}, weights: {pro: 1}}]"}) {
    auto c = load(std::string("router:\n  default: flash\n  policies: ") + policies + "\n");
    ASSERT_TRUE(c) << policies;
    auto router = build_router(c);
    ASSERT_TRUE(router) << router.error().message;
    auto code = parse_chat_request(R"({"messages":[{"role":"user","content":"why does `def f(x): x+1` fail?"}]})");
    auto math = parse_chat_request(R"({"messages":[{"role":"user","content":"solve x^2 = 4"}]})");
    ASSERT_TRUE(code && math);
    auto a = (*router)->route(RouteInput{*code, nullptr, "a"});
    auto b = (*router)->route(RouteInput{*math, nullptr, "b"});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->features.has_code, true) << policies;
    EXPECT_EQ(a->features.has_math, false) << policies;
    EXPECT_EQ(b->features.has_code, false) << policies;
    EXPECT_EQ(b->features.has_math, true) << policies;
    EXPECT_EQ(a->tier_index, 1u) << policies << ": " << a->reason;
    EXPECT_EQ(b->tier_index, 0u) << policies << ": " << b->reason;
  }
}

namespace {
std::string train_tiny_model(OutcomeTrainOptions options = {}) {
  const auto path = ::testing::TempDir() + "/tiny-" + std::to_string(::getpid()) + ".model";
  EXPECT_TRUE(testing::train_synthetic_model(testing::synthetic_workload(400), options).save(path));
  return path;
}

// The learned model's score, levelled: pro from 0.3, pro-max from 0.99.
Result<std::unique_ptr<Router>> threshold_router(const std::string& model_path) {
  return build_router(load("router:\n  default: flash\n  model: " + model_path +
                           "\n  policies: [{type: threshold, below: flash, levels: [{at: 0.3, tier: pro}, "
                           "{at: 0.99, tier: pro-max}]}]\n"));
}
}  // namespace

TEST(Router, ThresholdLevelsOnTheLearnedScore) {
  // Without the task-kind term (its own tests are in category_prior_test.cc),
  // which would lift this unfamiliar proof prompt to the top of the scale.
  OutcomeTrainOptions no_kind;
  no_kind.kind_weight = 0;
  auto router = threshold_router(train_tiny_model(no_kind));
  ASSERT_TRUE(router) << router.error().message;
  auto hard = parse_chat_request(R"({"messages":[{"role":"user","content":"prove the lemma by induction"}]})");
  auto easy = parse_chat_request(R"({"messages":[{"role":"user","content":"say hello to my friend"}]})");
  auto dh = (*router)->route(RouteInput{*hard, nullptr, "a"});
  auto de = (*router)->route(RouteInput{*easy, nullptr, "b"});
  ASSERT_TRUE(dh && de);
  EXPECT_EQ(dh->tier_index, 1u) << dh->reason;
  EXPECT_NE(dh->reason.find(">= 0.3 -> pro"), std::string::npos) << dh->reason;
  EXPECT_GT(*dh->features.score, 0.3);
  EXPECT_LT(*dh->features.score, 0.99) << "pro-max is for still higher scores";
  EXPECT_EQ(de->tier_index, 0u) << de->reason;
  EXPECT_NE(de->reason.find("< 0.3 -> flash"), std::string::npos) << de->reason;
  EXPECT_GT(*dh->features.complexity, *de->features.complexity);
}

// Rules can test the kind of work a prompt asks for (learn/task_kind.h),
// read from the same words the learned model reads; the decision explains it.
TEST(Router, RulesTestThePromptsTaskKind) {
  auto router = build_router(load("router:\n  default: flash\n  model: " + train_tiny_model() +
                                  "\n  policies:\n    - type: rules\n      rules:\n"
                                  "        - {when: {task_kind: [code, math]}, tier: pro}\n"
                                  "        - {when: {task_kind: writing}, tier: flash}\n"));
  ASSERT_TRUE(router) << router.error().message;
  auto code = parse_chat_request(R"({"messages":[{"role":"user","content":"Fix the bug in my Python function"}]})");
  auto poem = parse_chat_request(R"({"messages":[{"role":"user","content":"Write a poem for my mother"}]})");
  auto plain = parse_chat_request(R"({"messages":[{"role":"user","content":"What is the capital of France?"}]})");
  ASSERT_TRUE(code && poem && plain);
  auto dc = (*router)->route(RouteInput{*code, nullptr, "c"});
  auto dp = (*router)->route(RouteInput{*poem, nullptr, "p"});
  auto dn = (*router)->route(RouteInput{*plain, nullptr, "n"});
  ASSERT_TRUE(dc && dp && dn);
  EXPECT_EQ(dc->features.task_kind, "code");
  EXPECT_EQ(dc->tier_index, 1u) << dc->reason;
  EXPECT_NE(dc->features.to_json().find("\"task_kind\":\"code\""), std::string::npos);
  EXPECT_EQ(dp->features.task_kind, "writing");
  EXPECT_EQ(dp->tier_index, 0u) << dp->reason;
  EXPECT_EQ(dn->features.task_kind, "");
  EXPECT_EQ(dn->tier_index, 0u) << "no rule matched: the default";

  // A kind the reader never gives is refused with its path.
  auto e = errors_of(R"(router:
  default: flash
  policies:
    - type: rules
      rules:
        - {when: {task_kind: [code, poetry]}, tier: pro}
)");
  EXPECT_TRUE(contains(e, "router.policies[0].rules[0].when.task_kind: unknown task kind \"poetry\" (expected one of: code, math"))
      << (e.empty() ? "" : e[0]);
}

// A long prompt is read from a bounded sample (FeatureExtractor::prompt_sample):
// the same score as the model gives the whole text, its exact length, and
// markers looked for in its first and last kSampleChars only.
TEST(Router, ALongPromptIsReadFromABoundedSampleWithTheWholeTextsScore) {
  const auto model_path = train_tiny_model();
  auto router = threshold_router(model_path);
  ASSERT_TRUE(router) << router.error().message;
  auto model = OutcomeModel::load(model_path);
  ASSERT_TRUE(model) << model.error().message;

  const std::string filler(30000, 'a');
  const std::string system = "You review proofs. " + std::string(100, 'x');
  const std::string first = "prove the lemma by induction " + filler + " def middle(): pass " + filler;
  const std::string last = "then solve it " + std::string(200, 'z');
  boost::json::object body;
  body["model"] = "auto";
  body["messages"] = boost::json::array{
      boost::json::object{{"role", "system"}, {"content", system}},
      boost::json::object{{"role", "user"}, {"content", first}},
      boost::json::object{{"role", "assistant"}, {"content", "not read: an assistant turn"}},
      boost::json::object{{"role", "user"},
                          {"content", boost::json::array{boost::json::object{{"type", "text"}, {"text", last}}}}}};
  auto req = parse_chat_request(boost::json::serialize(body));
  ASSERT_TRUE(req);
  const std::string whole = system + "\n" + first + "\n" + last;  // the system and user turns, joined
  RouteInput explained{*req, nullptr, "long"};
  explained.every_feature = true;
  auto d = (*router)->route(explained);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->features.prompt_chars, static_cast<std::int64_t>(whole.size()));
  std::vector<Feature> scratch;
  EXPECT_DOUBLE_EQ(*d->features.score, model->probabilities(whole, scratch).gain);
  // How much the words counted is explained with the score.
  ASSERT_TRUE(d->features.familiarity);
  EXPECT_DOUBLE_EQ(*d->features.familiarity, model->probabilities(whole, scratch).familiarity);
  EXPECT_NE(d->features.to_json().find("\"familiarity\":"), std::string::npos);
  ASSERT_TRUE(d->features.has_code && d->features.has_math);
  EXPECT_FALSE(*d->features.has_code) << "'def ' sits 30,000 characters from either end";
  EXPECT_TRUE(*d->features.has_math) << "'solve' is in the last turn";
  // The estimate is the sample's, scaled: the filler is one long word.
  EXPECT_NEAR(static_cast<double>(d->features.prompt_tokens_estimate), static_cast<double>(estimate_tokens(whole)),
              0.1 * static_cast<double>(estimate_tokens(whole)));

  // A prompt within two samples is read whole, as before.
  auto short_req = parse_chat_request(R"({"messages":[{"role":"user","content":"def f(): return 1"}]})");
  RouteInput short_explained{*short_req, nullptr, "short"};
  short_explained.every_feature = true;
  auto ds = (*router)->route(short_explained);
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->features.has_code, true);
  // No condition of this config reads the markers: unexplained, they are not looked for.
  auto unexplained = (*router)->route(RouteInput{*short_req, nullptr, "short"});
  ASSERT_TRUE(unexplained);
  EXPECT_FALSE(unexplained->features.has_code.has_value());
  EXPECT_NE(unexplained->features.to_json().find("\"has_code\":null"), std::string::npos);
  EXPECT_DOUBLE_EQ(*ds->features.score, model->probabilities("def f(): return 1", scratch).gain);
}

// Cache-aware thresholds: a level prices a point of score at the turn's price
// difference / `at`, so a move away from the tier holding the conversation's
// cached prefix must clear the boundary by the lost cache's worth in points.
TEST(Router, ThresholdWeighsTheCachedPrefixAMoveLoses) {
  const auto model = train_tiny_model();
  auto c = load("router:\n  default: flash\n  output_tokens_estimate: 400\n  model: " + model +
                "\n  policies: [{type: threshold, below: flash, levels: [{at: 0.3, tier: pro}]}]\n");
  auto router = build_router(c);
  ASSERT_TRUE(router) << router.error().message;
  auto hard = parse_chat_request(R"({"messages":[{"role":"user","content":"prove the lemma by induction"}]})");
  auto easy = parse_chat_request(R"({"messages":[{"role":"user","content":"say hello to my friend"}]})");
  auto fresh = (*router)->route(RouteInput{*hard, nullptr, "a"});
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->tier_index, 1u) << fresh->reason;
  const double score = *fresh->features.score;
  ASSERT_GT(score, 0.31) << "the test needs a score that clears 0.3 by a little";

  // 100k cached tokens on flash: moving bills them at pro's miss price, +$0.225. This turn's
  // price difference (a few prompt tokens and 400 answer tokens) is under a cent, so a point is
  // worth a few cents and the move would need several points: it stays on flash.
  auto d = (*router)->route(RouteInput{*hard, nullptr, "a", 0, 100000});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u) << d->reason;
  EXPECT_NE(d->reason.find(">= 0.3 -> pro, but moving loses $0.225 of cached prefix on flash"), std::string::npos)
      << d->reason;
  EXPECT_NE(d->reason.find("-> stays on flash"), std::string::npos) << d->reason;

  // A 10-token prefix is worth far less than the score's margin over 0.3: the move goes ahead.
  d = (*router)->route(RouteInput{*hard, nullptr, "a", 0, 10});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_NE(d->reason.find("; clears the $0.000023 of cached prefix on flash (= 0.002 points"), std::string::npos) << d->reason;

  // On pro already, an easy turn would go down to flash, but flash would bill the 100k prefix
  // at its miss price: $0.0126 > this turn's saving, so it stays on pro.
  d = (*router)->route(RouteInput{*easy, nullptr, "b", 1, 100000});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_NE(d->reason.find("< 0.3 -> flash, but moving loses $0.0126 of cached prefix on pro"), std::string::npos)
      << d->reason;
  // ...and with no cached prefix reported, it goes down.
  d = (*router)->route(RouteInput{*easy, nullptr, "b", 1, 0});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u) << d->reason;

  // error_cost_usd prices a point explicitly: at $1000 a point, $0.225 is a negligible margin.
  auto priced = load("router:\n  default: flash\n  model: " + model +
                     "\n  policies: [{type: threshold, below: flash, error_cost_usd: 1000, levels: [{at: 0.3, tier: pro}]}]\n");
  auto priced_router = build_router(priced);
  ASSERT_TRUE(priced_router) << priced_router.error().message;
  d = (*priced_router)->route(RouteInput{*hard, nullptr, "a", 0, 100000});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_NE(d->reason.find("at $1000 a point"), std::string::npos) << d->reason;

  // A level at or below 0 puts no price on a point: the move is made and the reason says why.
  auto unpriced = load("router:\n  default: flash\n  model: " + model +
                       "\n  policies: [{type: threshold, below: flash, levels: [{at: -0.5, tier: pro}]}]\n");
  auto unpriced_router = build_router(unpriced);
  ASSERT_TRUE(unpriced_router) << unpriced_router.error().message;
  d = (*unpriced_router)->route(RouteInput{*hard, nullptr, "a", 0, 100000});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_NE(d->reason.find("is not weighed: a level at or below 0"), std::string::npos) << d->reason;
}

TEST(Router, ExpectedCostWeighsPriceAgainstTheCostOfErrors) {
  const auto model = train_tiny_model();
  auto c = load("router:\n  default: flash\n  model: " + model +
                "\n  policies: [{type: expected_cost, weak: flash, strong: pro, error_cost_usd: 0.0001}]\n");
  auto router = build_router(c);
  ASSERT_TRUE(router) << router.error().message;
  auto hard = parse_chat_request(R"({"messages":[{"role":"user","content":"prove the lemma by induction"}]})");
  // Cheap errors: Flash wins even where it likely fails.
  auto d = (*router)->route(RouteInput{*hard, nullptr, "a"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u) << d->reason;
  // A $10 error (declared by the client) makes Pro the cheaper bet.
  HeaderLookup costly = [](std::string_view n) -> std::string_view { return n == "x-fulcrum-error-cost" ? "10" : ""; };
  d = (*router)->route(RouteInput{*hard, costly, "a"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_NE(d->reason.find("expected cost (error $10)"), std::string::npos) << d->reason;

  // Cache-aware: the conversation's previous turn was on flash, which holds its 100k-token
  // prefix in the provider's cache. At a $0.05 error Pro is the better bet for this prompt
  // alone, but moving bills the prefix at Pro's miss price, not its hit price: 100k x
  // ($2.5 - $0.25) / 1M = +$0.225, and flash stays.
  HeaderLookup modest = [](std::string_view n) -> std::string_view { return n == "x-fulcrum-error-cost" ? "0.05" : ""; };
  d = (*router)->route(RouteInput{*hard, modest, "a"});
  ASSERT_TRUE(d);
  ASSERT_EQ(d->tier_index, 1u) << d->reason;
  RouteInput in{*hard, modest, "a", 0, 100000};
  d = (*router)->route(in);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u) << d->reason;
  EXPECT_NE(d->reason.find("pro $"), std::string::npos);
  EXPECT_NE(d->reason.find(" + 0.225 cache lost;"), std::string::npos) << d->reason;
  in.previous_tier = 1;  // on pro already: it stays there, flash would lose the cache
  d = (*router)->route(in);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
}

}  // namespace fulcrum

namespace fulcrum {

TEST(Router, SkipsTiersOverTheMoneyOrLatencyBudget) {
  auto c = load(R"(router:
  default: flash
  output_tokens_estimate: 1000
  policies:
    - type: rules
      rules: [{name: everything-to-pro, when: {message_count: {gte: 1}}, tier: pro}]
)");
  TierStats stats(*c);
  auto router = build_router(c, &stats);
  ASSERT_TRUE(router);
  auto req = parse_chat_request(R"({"messages":[{"role":"user","content":"0123456789abcdef0123456789abcdef"}]})");
  ASSERT_TRUE(req);  // 32 chars = 8 tokens; pro: 8 x 2.5 + 1000 x 10 per 1M = $0.01002
  auto with = [&](std::string_view name, std::string_view value) {
    return HeaderLookup([name, value](std::string_view n) -> std::string_view { return n == name ? value : ""; });
  };
  auto d = (*router)->route(RouteInput{*req, with("x-fulcrum-budget-usd", "0.02"), "a"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  d = (*router)->route(RouteInput{*req, with("x-fulcrum-budget-usd", "0.01"), "a"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u);
  EXPECT_EQ(d->reason, "skipped pro (est. $0.01002 > budget $0.01); default tier flash");

  // Latency: priors (1000 ms for every tier here) until traffic teaches otherwise.
  d = (*router)->route(RouteInput{*req, with("x-fulcrum-latency-budget-ms", "500"), "a"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "skipped pro (ttft 1000 ms > budget 500 ms); skipped flash (ttft 1000 ms > budget 500 ms); "
                       "no tier fits the budget: default tier flash");
  for (int i = 0; i < 100; ++i) stats.record_ttft(0, 120);  // flash is measured fast
  d = (*router)->route(RouteInput{*req, with("x-fulcrum-latency-budget-ms", "500"), "a"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u);
  EXPECT_NE(d->reason.find("skipped pro (ttft 1000 ms"), std::string::npos) << d->reason;
  EXPECT_NE(d->reason.find("default tier flash"), std::string::npos) << d->reason;
}

TEST(Router, NeverPicksATierWhoseContextWindowTheRequestDoesNotFit) {
  const std::string tiers = R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  flash: {provider: p, model: f, price: {input: 0.14, output: 0.28}, context_tokens: 1000, max_output_tokens: 500}
  pro: {provider: p, model: pr, price: {input: 2.5, output: 10}, context_tokens: 4000}
router: {default: flash}
)";
  auto loaded = load_config_text(tiers, "test.yaml");
  ASSERT_TRUE(loaded.config);
  TierStats stats(*loaded.config);
  auto router = build_router(loaded.config, &stats);
  ASSERT_TRUE(router);
  auto route = [&](std::size_t chars, std::string_view extra = "") {
    const std::string body = R"({"messages":[{"role":"user","content":")" + std::string(chars, 'a') + "\"}]" +
                             std::string(extra) + "}";
    auto req = parse_chat_request(body);
    EXPECT_TRUE(req);
    return (*router)->route(RouteInput{*req, nullptr, "a"});
  };
  auto d = route(2000);  // ~500 tokens: flash
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 0u) << d->reason;
  d = route(7999);  // + the message separator: 8000 chars, ~2000 tokens, past flash's 1000
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_EQ(d->reason, "skipped flash (needs ~2000 tokens > its 1000-token context window); "
                       "first tier within budget: pro");
  {
    // A policy that picks flash, then the default (flash): the reason names the skip once.
    auto with_policy = load_config_text(
        tiers.substr(0, tiers.find("router:")) +
            "router: {default: flash, policies: [{type: rules, rules: [{when: {prompt_tokens: {gte: 0}}, tier: flash}]}]}\n",
        "test.yaml");
    ASSERT_TRUE(with_policy.config) << (with_policy.errors.empty() ? "" : with_policy.errors.front());
    auto twice = build_router(with_policy.config, &stats);
    ASSERT_TRUE(twice);
    auto req = parse_chat_request(R"({"messages":[{"role":"user","content":")" + std::string(7999, 'a') + "\"}]}");
    ASSERT_TRUE(req);
    auto dt = (*twice)->route(RouteInput{*req, nullptr, "a"});
    ASSERT_TRUE(dt);
    EXPECT_EQ(dt->reason, "skipped flash (needs ~2000 tokens > its 1000-token context window); "
                          "first tier within budget: pro");
  }
  d = route(400, R"(,"max_tokens":800)");  // fits the window, not flash's answer limit
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tier_index, 1u) << d->reason;
  EXPECT_NE(d->reason.find("flash (max_tokens 800 > its 500-token answer limit)"), std::string::npos) << d->reason;
  d = route(19999);  // ~5000 tokens: no tier holds it, refused before any upstream call
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::invalid_request);
  EXPECT_EQ(d.error().param, "messages");
  EXPECT_NE(d.error().message.find("does not fit any tier's context window: flash (needs ~5000 tokens > its "
                                   "1000-token context window); pro (needs ~5000 tokens > its 4000-token"),
            std::string::npos)
      << d.error().message;
  EXPECT_FALSE(load_config_text(R"(providers: {p: {base_url: "http://127.0.0.1:1"}}
tiers:
  t: {provider: p, model: m, price: {input: 1, output: 1}, context_tokens: 100, max_output_tokens: 200}
router: {default: t}
)", "x.yaml").config);
}

TEST(TierStats, LearnsTtftAndCharsPerTokenFromTraffic) {
  auto c = load("router: {default: flash}\n");
  TierStats s(*c);
  EXPECT_DOUBLE_EQ(s.ttft_ms(1), 1000);
  EXPECT_EQ(s.estimate_tokens(1, 400), 100);
  for (int i = 0; i < 200; ++i) {
    s.record_ttft(1, 200);
    s.record_prompt(1, 300, 100);  // 3 characters per token
  }
  EXPECT_NEAR(s.ttft_ms(1), 200, 1);
  EXPECT_NEAR(s.chars_per_token(1), 3.0, 0.01);
  EXPECT_EQ(s.estimate_tokens(1, 300), 100);
  s.record_prompt(1, 50, 5);  // too small to learn from
  EXPECT_NEAR(s.chars_per_token(1), 3.0, 0.01);
  EXPECT_DOUBLE_EQ(s.ttft_ms(0), 1000) << "tiers learn separately";
}

}  // namespace fulcrum

namespace fulcrum {

TEST(Cascade, ConfidenceSignals) {
  CascadePlan plan;
  const std::vector<double> lps{-0.2, -1.5, -0.1, -3.0};
  EXPECT_DOUBLE_EQ(*cascade_confidence(plan, lps), -0.2);
  plan.signal = CascadePlan::Signal::mean;
  plan.tokens = 3;
  EXPECT_DOUBLE_EQ(*cascade_confidence(plan, lps), -0.6);
  plan.signal = CascadePlan::Signal::min;
  EXPECT_DOUBLE_EQ(*cascade_confidence(plan, lps), -1.5);
  plan.tokens = 10;  // fewer tokens than K: all of them
  EXPECT_DOUBLE_EQ(*cascade_confidence(plan, lps), -3.0);
  EXPECT_FALSE(cascade_confidence(plan, {}));
}

TEST(Cascade, ConfigErrors) {
  auto e = errors_of(R"(router:
  default: flash
  policies:
    - {type: cascade, cheap: flash, strong: flash, signal: median, threshold: 0.5, on_missing: maybe}
)");
  EXPECT_TRUE(contains(e, "router.policies[0].strong: must differ from cheap"));
  EXPECT_TRUE(contains(e, "router.policies[0].signal: expected first_token, mean or min"));
  EXPECT_TRUE(contains(e, "router.policies[0].threshold: must be between"));
  EXPECT_TRUE(contains(e, "router.policies[0].on_missing: expected accept or escalate"));
}

}  // namespace fulcrum

namespace fulcrum {
namespace {

TEST(PolicyReason, PrintsNumbersAsPrintfFixedWithoutTrailingZeros) {
  EXPECT_EQ(fmt(0.5), "0.5");
  EXPECT_EQ(fmt(2.0), "2");
  EXPECT_EQ(fmt(1234.5678, 2), "1234.57");
  EXPECT_EQ(fmt(-0.1234), "-0.123");
  EXPECT_EQ(fmt(0.0004), "0");
  EXPECT_EQ(fmt(950.0, 0), "950");
  EXPECT_EQ(fmt(0.000123, 6), "0.000123");
  EXPECT_EQ(fmt(1e300).size(), 301u);
}

}  // namespace
}  // namespace fulcrum
