#!/usr/bin/env bash
# Usage: article_policy_test.sh FULCRUM_BIN EXAMPLES_DIR — one check per branch of the
# article's routing_policy() and document_router(), through `fulcrum route`.
set -euo pipefail
bin="$1"; cfg="$2/article-policy.yaml"
fails=0
route() {  # expected-tier expected-reason-prefix prompt [headers...]
  local tier="$1" reason="$2" prompt="$3"; shift 3
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  local out
  out=$(printf '%s' "$prompt" | "$bin" route --config "$cfg" "${args[@]}")
  if ! grep -q "\"tier\":\"$tier\"" <<< "$out" || ! grep -qF "\"reason\":\"$reason" <<< "$out"; then
    echo "FAIL: expected $tier / $reason... for [$prompt $*], got $out"; fails=$((fails + 1))
  fi
}
# document_router()
route pro  "rule pro_required: task legal_contract_analysis" "Review this NDA." "x-fulcrum-task: legal_contract_analysis"
route flash "rule flash_ok: task extraction" "Extract the date from: invoice 2024-03-01" "x-fulcrum-task: extraction" "x-fulcrum-domain: legal"
route flash "task customer_support in customer_support,...: split 70/30" "Where is my order?" "x-fulcrum-task: customer_support"
# routing_policy()
route pro  "rule high_risk_domain: domain_risk 9 >= 8" "Is this mole dangerous?" "x-fulcrum-domain: medical"
route pro  "rule risky_and_complex: domain_risk 5 >= 5 and complexity" "Let p = (1, 2, 5, 4)(2, 3) in S_5. Find the index of <p> in S_5. A. 8 B. 2 C. 24 D. 120" "x-fulcrum-domain: math"
route flash "default tier flash" "hi" "x-fulcrum-domain: math"
route pro  "rule costly_errors: error_cost_usd 25 > 10" "Summarise this report." "x-fulcrum-error-cost: 25"
route flash "default tier flash" "Summarise this report." "x-fulcrum-error-cost: 10"
route flash "default tier flash" "What is the capital of France?"
# No declared domain: the shipped domain classifier predicts it.
route pro  "rule high_risk_domain: domain_risk 9 >= 8" "A 45-year-old man presents with crushing chest pain radiating to the left arm and diaphoresis. Which drug should be given first?"
# The 70/30 split over many request ids is covered by the unit tests (one id here).
[ "$fails" -eq 0 ] || exit 1
echo "article policy: ok"
