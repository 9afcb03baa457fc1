#!/usr/bin/env bash
# Usage: route_test.sh FULCRUM_BIN — `fulcrum route` on a rules config, no upstream called.
set -euo pipefail
bin="$1"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
cat > "$dir/f.yaml" <<'YAML'
providers: {p: {base_url: "http://127.0.0.1:9", api_key_env: UNSET_FOR_ROUTE_TEST}}
tiers:
  flash: {provider: p, model: f, price: {input: 0.14, output: 0.28}}
  pro: {provider: p, model: pr, price: {input: 2.5, output: 10}}
  think: {provider: p, model: pr, params: {thinking: {type: enabled}}, price: {input: 2.5, output: 10}}
router:
  default: flash
  domains: {legal: {risk: 8}}
  policies:
    - type: rules
      rules:
        - {name: risky, when: {domain_risk: {gte: 8}}, tier: pro}
        - {name: long, when: {prompt_tokens: {gt: 50}}, tier: pro}
YAML
out=$(echo "short question" | "$bin" route --config "$dir/f.yaml")
[ "$out" = '{"tier":"flash","upstream_model":"f","reason":"default tier flash"}' ] || { echo "FAIL: $out"; exit 1; }
out=$(echo '{"messages":[{"role":"user","content":"x"}],"metadata":{"x-fulcrum-domain":"legal"}}' | "$bin" route --config "$dir/f.yaml" --explain)
grep -q '"reason":"rule risky: domain_risk 8 >= 8 -> pro"' <<< "$out" || { echo "FAIL: $out"; exit 1; }
grep -q '"domain":"legal"' <<< "$out" || { echo "FAIL: no features in $out"; exit 1; }
out=$(head -c 400 /dev/zero | tr '\0' 'a' | sed 's/aaaa/word /g' | "$bin" route --config "$dir/f.yaml")
grep -q '"reason":"rule long: prompt_tokens' <<< "$out" || { echo "FAIL: $out"; exit 1; }
if echo x | "$bin" route --config "$dir/f.yaml" -H "x-fulcrum-budget-usd: lots" 2>/dev/null; then echo "FAIL: bad budget accepted"; exit 1; fi
if echo x | "$bin" route --config /nonexistent.yaml 2>/dev/null; then echo "FAIL: missing config accepted"; exit 1; fi
# The request's model counts, as in the gateway: a tier by name is that tier, an unknown model an error.
out=$(echo '{"model":"pro","messages":[{"role":"user","content":"short"}]}' | "$bin" route --config "$dir/f.yaml")
[ "$out" = '{"tier":"pro","upstream_model":"pr","reason":"requested tier pro"}' ] || { echo "FAIL: named tier: $out"; exit 1; }
if msg=$(echo '{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}' | "$bin" route --config "$dir/f.yaml" 2>&1); then
  echo "FAIL: unknown model exited 0: $msg"; exit 1; fi
grep -q "the model 'gpt-9' does not exist on this gateway. Valid models: auto, flash, pro, think" <<< "$msg" || { echo "FAIL: $msg"; exit 1; }
# A thinking tier: the history fix the gateway would make is said.
hist='{"model":"think","messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}]}'
out=$(echo "$hist" | "$bin" route --config "$dir/f.yaml")
grep -q '"history":"empty reasoning_content given to 1 tool-call turn(s), as think' <<< "$out" || { echo "FAIL: history: $out"; exit 1; }
out=$(echo "$hist" | sed 's/"think"/"pro"/' | "$bin" route --config "$dir/f.yaml")
if grep -q history <<< "$out"; then echo "FAIL: history note for a tier without thinking: $out"; exit 1; fi
echo "route: ok"
