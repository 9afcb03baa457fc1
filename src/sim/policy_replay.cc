#include "sim/policy_replay.h"

#include <algorithm>
#include <map>
#include <memory>

#include <boost/json.hpp>

#include "routing/policy.h"
#include "routing/router.h"

namespace fulcrum {
namespace {

// The messages the gateway would have been sent for row i: a later turn
// resends its conversation so far, each earlier answer as the model of the
// tier that gave it wrote it (empty where the data has no response).
boost::json::array conversation_messages(const Workload& w, const std::vector<Route>& routes, std::size_t i) {
  std::vector<std::size_t> earlier;
  for (auto at = w.rows[i].previous; at; at = w.rows[*at].previous) earlier.push_back(*at);
  boost::json::array messages;
  for (auto k = earlier.rbegin(); k != earlier.rend(); ++k) {
    const auto& row = *w.rows[*k].source;
    const auto& model = w.tiers[routes[*k].escalated_to.value_or(routes[*k].tier)].model;
    const auto answer = row.responses.find(model);
    messages.push_back(boost::json::object{{"role", "user"}, {"content", row.prompt}});
    messages.push_back(boost::json::object{
        {"role", "assistant"}, {"content", answer == row.responses.end() ? std::string() : answer->second}});
  }
  messages.push_back(boost::json::object{{"role", "user"}, {"content", w.rows[i].source->prompt}});
  return messages;
}

}  // namespace

Result<PolicyReplay> replay_policy(const Workload& w, const ConfigPtr& config,
                                   const std::vector<OutcomeModel>& fold_models, const std::vector<int>& fold) {
  std::vector<std::unique_ptr<Router>> routers;
  if (fold_models.empty()) {
    auto r = build_router(config);
    if (!r) return std::move(r).error();
    routers.push_back(std::move(r.value()));
  } else {
    for (const auto& m : fold_models) {
      auto r = build_router(config, nullptr, std::make_unique<OutcomeModel>(m));
      if (!r) return std::move(r).error();
      routers.push_back(std::move(r.value()));
    }
  }
  PolicyReplay out;
  out.routes.assign(w.rows.size(), Route{});
  std::map<std::string, std::size_t> reasons;
  static const std::vector<double> none;
  // Turns in order, so each knows where its conversation's previous turn went
  // and how long the prefix it resends is (as the gateway's sticky routes do).
  std::vector<std::size_t> order(w.rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return w.rows[a].source->turn < w.rows[b].source->turn; });
  std::vector<std::int64_t> prefix(w.rows.size(), 0);
  for (const auto i : order) {
    const auto& row = *w.rows[i].source;
    std::optional<std::size_t> previous_tier;
    if (const auto& prev = w.rows[i].previous) {
      const auto& p = out.routes[*prev];
      previous_tier = p.escalated_to.value_or(p.tier);
      const auto& sizes = w.rows[*prev].tokens[*previous_tier];
      prefix[i] = prefix[*prev] + sizes.input + sizes.output;
      if (config->router.sticky == StickyMode::conversation) {
        out.routes[i] = Route{*previous_tier, std::nullopt, 0};
        ++reasons["sticky: the conversation stays on its previous turn's tier"];
        continue;
      }
    }
    boost::json::object body;
    body["model"] = "auto";
    body["messages"] = conversation_messages(w, out.routes, i);
    if (!row.metadata_json.empty()) body["metadata"] = boost::json::parse(row.metadata_json);
    auto request = parse_chat_request(boost::json::serialize(body));
    if (!request) return make_error(Errc::invalid_request, "row " + row.id + ": " + request.error().message);
    const auto& router = *routers[fold_models.empty() ? 0 : static_cast<std::size_t>(fold[i])];
    auto decision = router.route(RouteInput{*request, HeaderLookup(), row.id, previous_tier, prefix[i]});
    if (!decision) return make_error(Errc::invalid_request, "row " + row.id + ": " + decision.error().message);
    Route route{decision->tier_index, std::nullopt, 0};
    if (decision->cascade) {
      const auto& plan = *decision->cascade;
      const auto* lp = w.rows[i].logprobs[plan.cheap];
      const auto signal = cascade_confidence(plan, lp ? *lp : none);
      route.tier = plan.cheap;
      if (signal ? *signal < plan.threshold : plan.escalate_on_missing) route.escalated_to = plan.strong;
      route.wait_tokens = plan.tokens;
    }
    out.routes[i] = route;
    // Reasons carry per-request numbers (scores, split points): group by
    // the reason with its numbers blanked out.
    std::string reason;
    for (std::size_t k = 0; k < decision->reason.size(); ++k) {
      const char c = decision->reason[k];
      const bool digit = c >= '0' && c <= '9';
      if (!digit) {
        reason += c;
        continue;
      }
      reason += '#';
      while (k + 1 < decision->reason.size() &&
             ((decision->reason[k + 1] >= '0' && decision->reason[k + 1] <= '9') || decision->reason[k + 1] == '.'))
        ++k;
    }
    ++reasons[reason];
  }
  out.reasons.assign(reasons.begin(), reasons.end());
  std::stable_sort(out.reasons.begin(), out.reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.reasons.size() > 10) out.reasons.resize(10);
  return out;
}

}  // namespace fulcrum
