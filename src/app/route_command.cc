#include "app/route_command.h"

#include <iostream>
#include <iterator>
#include <map>

#include <boost/json.hpp>

#include "config/load.h"
#include "core/client_text.h"
#include "routing/router.h"

namespace fulcrum {
namespace {

// What the gateway would change in the history for this tier (its reason says the same).
void add_history_note(boost::json::object& out, const Tier& tier, const ChatRequest& request) {
  if (!tier.tool_calls_need_reasoning_content) return;
  if (const auto n = tool_call_turns_without_reasoning(request))
    out["history"] = "empty reasoning_content given to " + std::to_string(n) + " tool-call turn(s), as " + tier.name +
                     "'s thinking mode requires";
}

}  // namespace

int run_route(const RouteCommand& cmd) {
  auto loaded = load_config_file(cmd.config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e << '\n';
    return 1;
  }
  auto router = build_router(loaded.config);
  if (!router) {
    std::cerr << "fulcrum: " << router.error().message << '\n';
    return 1;
  }
  std::map<std::string, std::string, std::less<>> headers;
  for (const auto& h : cmd.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos) {
      std::cerr << "fulcrum: --header expects \"name: value\", got \"" << h << "\"\n";
      return 2;
    }
    auto value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    std::string name = h.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    headers[name] = value;
  }

  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  // A JSON object is a request body; anything else is the prompt itself.
  boost::system::error_code ec;
  auto parsed_json = boost::json::parse(input, ec);
  if (ec || !parsed_json.is_object()) {
    while (!input.empty() && (input.back() == '\n' || input.back() == '\r')) input.pop_back();
    boost::json::object body;
    body["model"] = "auto";
    body["messages"] = boost::json::array{boost::json::object{{"role", "user"}, {"content", input}}};
    input = boost::json::serialize(body);
  }
  auto request = parse_chat_request(input);
  if (!request) {
    std::cerr << "fulcrum: stdin: " << request.error().message << '\n';
    return 1;
  }
  HeaderLookup lookup = [&headers](std::string_view name) -> std::string_view {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  };
  const auto& cfg = *loaded.config;
  // As the gateway does: a tier (by name, alias or upstream model id) is that tier; auto and
  // routed aliases go to the router; anything else is an error.
  const auto target = cfg.resolve_model(request->model);
  if (!target) {
    std::cerr << "fulcrum: the model '" << clip_client_text(*request->model)
              << "' does not exist on this gateway. Valid models: " << cfg.valid_models() << '\n';
    return 1;
  }
  if (target->tier) {
    const auto tier = target->tier;
    boost::json::object out;
    out["tier"] = cfg.tiers[*tier].name;
    out["upstream_model"] = cfg.tiers[*tier].model;
    out["reason"] = target->reason;
    add_history_note(out, cfg.tiers[*tier], *request);
    std::cout << boost::json::serialize(out) << '\n';
    return 0;
  }
  RouteInput route_input{*request, lookup, "fulcrum-route"};
  route_input.every_feature = cmd.explain;
  auto decision = (*router)->route(route_input);
  if (!decision) {
    std::cerr << "fulcrum: " << decision.error().message << '\n';
    return 1;
  }
  boost::json::object out;
  out["tier"] = loaded.config->tiers[decision->tier_index].name;
  out["upstream_model"] = loaded.config->tiers[decision->tier_index].model;
  out["reason"] = decision->reason;
  add_history_note(out, loaded.config->tiers[decision->tier_index], *request);
  if (cmd.explain) out["features"] = boost::json::parse(decision->features.to_json());
  std::cout << boost::json::serialize(out) << '\n';
  return 0;
}

}  // namespace fulcrum
