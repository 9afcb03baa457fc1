#!/usr/bin/env bash
# fulcrum simulate / calibrate / breakeven / recommend / eval --svg, on the real
# RouteLLM sets and on a small hand-made workload whose numbers are worked out
# here. Usage: decision_tools_test.sh FULCRUM_BIN EXAMPLES_DIR DATA_DIR
set -euo pipefail
bin="$1"; examples="$(cd "$2" && pwd)"; data="$3"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# js EXPR FILE: evaluate EXPR with `j` bound to FILE's JSON (node is there for the e2e tests).
js() { node -e "const j = JSON.parse(require('fs').readFileSync('$2', 'utf8')); const v = ($1); if (v === false) process.exit(1); if (v !== true) console.log(v);"; }

# --- the hand-made workload -------------------------------------------------
# cheap: $1 in / $2 out per 1M tokens; strong: $10 / $20. Every request: 1000 in,
# 500 out (weak) or 250 out (strong): $0.002 vs $0.015 a request.
cat > "$tmp/config.yaml" <<'YAML'
providers: {p: {base_url: "http://127.0.0.1:1"}}
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
  policies:
    - type: rules
      rules: [{name: hard_tasks, when: {task: [hard]}, tier: strong}]
YAML
u='"usage":{"prompt_tokens":1000,"completion_tokens":500}'; v='"usage":{"prompt_tokens":1000,"completion_tokens":250}'
: > "$tmp/rows.jsonl"
for i in 1 2 3 4 5 6 7 8; do
  # Rows 1-4: both right. 5-6: only strong right (declared hard). 7-8: both wrong; 7 declared hard.
  w=1; s=1; meta=''
  case $i in 5|6) w=0; meta=',"metadata":{"x-fulcrum-task":"hard"}';; 7) w=0; s=0; meta=',"metadata":{"x-fulcrum-task":"hard"}';; 8) w=0; s=0;; esac
  lp=''; [ $i -ge 5 ] && lp=',"logprobs":[-1.5]'; [ $i -le 4 ] && lp=',"logprobs":[-0.1]'
  echo "{\"id\":\"r$i\",\"prompt\":\"question number $i\"$meta,\"outcomes\":{\"w\":{\"score\":$w,$u$lp},\"s\":{\"score\":$s,$v}}}" >> "$tmp/rows.jsonl"
done
"$bin" simulate -c "$tmp/config.yaml" --data "$tmp/rows.jsonl" --requests-per-day 1000 --folds 2 --format json > "$tmp/sim.json"
# near KIND_OR_NAME FIELD VALUE: the strategy's FIELD is VALUE (to 1e-9).
near() { js "Math.abs(j.strategies.find(s => s.name === '$1' || s.kind === '$1').$2 - ($3)) < 1e-9" "$tmp/sim.json" ||
         fail "$1 $2 is $(js "j.strategies.find(s => s.name === '$1' || s.kind === '$1').$2" "$tmp/sim.json"), expected $3"; }
# all cheap: quality 4/8, $2/day; all strong: 6/8, $15/day.
near 'all cheap' quality 0.5; near 'all cheap' daily_cost_usd 2
near 'all strong' quality 0.75; near 'all strong' daily_cost_usd 15
near 'all cheap' savings_vs_all_strong "1 - 2 / 15"
# The configured rules send r5, r6, r7 (hard) to strong: quality (4 + 2) / 8, cost (5 x 0.002 + 3 x 0.015) / 8 x 1000.
near policy quality 0.75; near policy daily_cost_usd 6.875
# The cascade (logprob < -0.5) escalates r5-r8: quality 6/8, cost (8 x 0.002 + 4 x 0.015) / 8 x 1000 = $9.50,
# p95 first token 100 + 1 token at 10/s + 1000 = 1200 ms, p95 total 1200 + 250 tokens at 5/s.
near cascade quality 0.75; near cascade daily_cost_usd 9.5; near cascade escalation_rate 0.5
near cascade p95_ttft_ms 1200; near cascade p95_latency_ms 51200
# Oracle: strong only for r5, r6: cost (6 x 0.002 + 2 x 0.015) / 8 x 1000.
near oracle quality 0.75; near oracle share.strong 0.25; near oracle daily_cost_usd 5.25
"$bin" simulate -c "$tmp/config.yaml" --data "$tmp/rows.jsonl" --requests-per-day 1000 --folds 2 --format markdown > "$tmp/sim.md"
grep -q '^| all strong ' "$tmp/sim.md" || fail "markdown table: $(cat "$tmp/sim.md")"

# calibrate --write: the threshold goes into the config file, which still validates.
cat "$tmp/config.yaml" > "$tmp/threshold.yaml"
cat >> "$tmp/threshold.yaml" <<'YAML'
  model: MODEL
YAML
sed -i "s#MODEL#$examples/../models/routellm-mixtral-gpt4.model#" "$tmp/threshold.yaml"
sed -i 's#      rules: \[{name: hard_tasks, when: {task: \[hard\]}, tier: strong}\]#      rules: [{name: hard_tasks, when: {task: [hard]}, tier: strong}]\n    - type: threshold   \# calibrated\n      below: cheap\n      levels: [{at: 0.5, tier: strong}]#' "$tmp/threshold.yaml"
"$bin" validate -c "$tmp/threshold.yaml" > /dev/null || fail "threshold config invalid"
out="$("$bin" calibrate -c "$tmp/threshold.yaml" --data "$data/gsm8k.jsonl" --strong-share 0.3 --requests-per-day 500000 --write)"
echo "$out"
grep -q "strong share      30.0%" <<< "$out" || fail "calibrate share"
written="$(echo "$out" | sed -n 's/^written to .*levels\[0\].at = //p')"
[ -n "$written" ] || fail "calibrate did not write"
grep -q "levels: \[{at: $written, tier: strong}\]" "$tmp/threshold.yaml" || fail "value not in the file: $(cat "$tmp/threshold.yaml")"
grep -q "# calibrated" "$tmp/threshold.yaml" || fail "comment lost"
"$bin" validate -c "$tmp/threshold.yaml" > /dev/null || fail "written config invalid"
out="$("$bin" calibrate -c "$examples/deepseek-v4.yaml" --data "$data/gsm8k.jsonl" --quality 0.9)"
grep -q "(90.[0-9]% of all-pro 85.77%" <<< "$out" || fail "calibrate quality: $out"
if "$bin" calibrate -c "$tmp/config.yaml" --data "$data/gsm8k.jsonl" --quality 0.9 --write 2>/dev/null; then
  fail "--write without a threshold policy accepted"; fi
# The shipped example routes with a threshold policy: --write re-picks it (on a copy beside the
# shipped models, so its relative model path still resolves), and the copy still validates.
mkdir -p "$tmp/shipped/examples"
ln -s "$examples/../models" "$tmp/shipped/models"
cp "$examples/deepseek-v4.yaml" "$tmp/shipped/examples/"
out="$("$bin" calibrate -c "$tmp/shipped/examples/deepseek-v4.yaml" --data "$data/gsm8k.jsonl" --strong-share 0.5 --write)"
grep -q "written to .*levels\[0\].at = " <<< "$out" || fail "calibrate --write on the shipped example: $out"
grep -q "Note: token sizes: " <<< "$out" || fail "calibrate does not say which token sizes it used: $out"
"$bin" validate -c "$tmp/shipped/examples/deepseek-v4.yaml" > /dev/null || fail "re-calibrated example invalid"
# Out of the box, model: auto routes: a short greeting to flash, a demanding request to pro.
route() { echo "$1" | "$bin" route -c "$examples/deepseek-v4.yaml"; }
route "hi, how are you?" | grep -q '"tier":"flash"' || fail "greeting not on flash: $(route "hi, how are you?")"
hard='Alice is older than Bob, Bob is older than Carol, and Dan is younger than Carol but older than Eve. Who is the second youngest?'
route "$hard" | grep -q '"tier":"pro"' || fail "reasoning puzzle not on pro: $(route "$hard")"
msg="$("$bin" calibrate -c "$examples/deepseek-v4.yaml" --data "$data/gsm8k.jsonl" --daily-budget 1 --requests-per-day 500000 2>&1 || true)"
grep -q "below the cheapest cut" <<< "$msg" || fail "budget below all-flash: $msg"

# breakeven: the article's example.
out="$("$bin" breakeven --cheap-cost 0.00028 --strong-cost 0.005 --error-cost 10 --error-cost 100)"
echo "$out"
grep -q 'error cost $10: .* every 2,119 requests' <<< "$out" || fail "breakeven \$10"
grep -q 'error cost $100: .* every 21,186 requests' <<< "$out" || fail "breakeven \$100"
out="$("$bin" breakeven -c "$examples/deepseek-v4.yaml" --tokens 2000:500 --error-cost 10 --cheap-error-rate 0.023 --strong-error-rate 0.011)"
grep -q 'flash $0.00042, pro $0.001305' <<< "$out" || fail "breakeven from config prices: $out"
grep -q 'upgrade to pro' <<< "$out" || fail "breakeven verdict: $out"
if "$bin" breakeven --cheap-cost 0.005 --strong-cost 0.001 --error-cost 10 2>/dev/null; then fail "inverted costs accepted"; fi

# simulate and recommend on the real sets.
"$bin" simulate -c "$examples/article-policy.yaml" --data "$data/gsm8k.jsonl" --requests-per-day 500000 \
  --format json --svg "$tmp/gsm8k.svg" > "$tmp/gsm8k.json"
js "j.rows === 1307" "$tmp/gsm8k.json" || fail "gsm8k rows"
js "Math.abs(j.strategies.find(s => s.name === 'all pro').quality - 0.857689) < 1e-5" "$tmp/gsm8k.json" || fail "all pro quality"
js "Math.abs(j.strategies.find(s => s.name === 'all flash').quality - 0.637337) < 1e-5" "$tmp/gsm8k.json" || fail "all flash quality"
# Every learned operating point beats the random split at its share of Pro calls, and the oracle beats everything.
js "j.strategies.filter(s => s.kind === 'threshold').length === 5" "$tmp/gsm8k.json" || fail "operating points"
js "j.strategies.find(s => s.name === 'learned threshold, 30% pro').quality > j.strategies.find(s => s.kind === 'split').quality" \
  "$tmp/gsm8k.json" || fail "learned 30% not above the 70/30 split"
js "j.strategies.every(s => s.kind === 'oracle' || s.quality <= j.strategies.find(o => o.kind === 'oracle').quality)" \
  "$tmp/gsm8k.json" || fail "oracle not the ceiling"
grep -q "Pareto frontier" "$tmp/gsm8k.svg" && grep -q "oracle (ceiling)" "$tmp/gsm8k.svg" || fail "chart"
"$bin" simulate -c "$examples/deepseek-v4.yaml" --data "$data/mmlu.jsonl" --requests-per-day 500000 --tokens 2000:500 \
  --tokens-only --folds 2 > "$tmp/mmlu.txt"
cat "$tmp/mmlu.txt"
grep -Eq '^all pro +\$653 +80\.6%' "$tmp/mmlu.txt" || fail "mmlu all pro: 500K x (2000 x 0.435 + 500 x 0.87) / 1M = \$652.50"
grep -Eq '^all flash +\$210 +68\.1%' "$tmp/mmlu.txt" || fail "mmlu all flash: 500K x (2000 x 0.14 + 500 x 0.28) / 1M = \$210"
# With router.model set, the configured policy is also replayed with that file as is: the same
# decisions `fulcrum route` makes, prompt by prompt (here 30 chat prompts the model never saw).
head -30 "$data/../chat/arena_bench_v1.jsonl" > "$tmp/chat30.jsonl"
"$bin" simulate -c "$examples/deepseek-v4.yaml" --data "$tmp/chat30.jsonl" --requests-per-day 1000 --folds 2 \
  --format json > "$tmp/chat30.json"
js "j.notes.some(n => n.includes('router.model as is'))" "$tmp/chat30.json" || fail "no note on the two configured rows"
node -e "for (const l of require('fs').readFileSync('$tmp/chat30.jsonl', 'utf8').trim().split('\n'))
  console.log(JSON.stringify({model: 'auto', messages: [{role: 'user', content: JSON.parse(l).prompt}]}))" > "$tmp/bodies"
to_pro=0
while IFS= read -r body; do
  if grep -q '"tier":"pro"' <<< "$("$bin" route -c "$examples/deepseek-v4.yaml" <<< "$body")"; then to_pro=$((to_pro + 1)); fi
done < "$tmp/bodies"
js "Math.round(j.strategies.find(s => s.name === 'configured policy, router.model as is').share.pro * 30) === $to_pro" \
  "$tmp/chat30.json" || fail "as-is replay differs from fulcrum route ($to_pro of 30 to pro)"
out="$("$bin" recommend -c "$examples/deepseek-v4.yaml" --data "$data/gsm8k.jsonl" --requests-per-day 500000)"
echo "$out"
grep -q "^situation: *mixed workload (20-40% complex)" <<< "$out" || fail "recommend gsm8k"
out="$("$bin" recommend -c "$examples/deepseek-v4.yaml" --data "$data/gsm8k.jsonl" --latency-budget-ms 200)"
grep -q "^recommendation: flash only" <<< "$out" || fail "recommend latency-critical: $out"
"$bin" eval --data "$data/gsm8k.jsonl" --svg "$tmp/eval.svg" > /dev/null
grep -q "learned (APGR" "$tmp/eval.svg" || fail "eval chart"

# Errors: a malformed line names its line and field; an empty workload, an unknown tier, a bad flag exit non-zero.
printf '{"prompt":"a","outcomes":{"w":{"score":1},"s":{"score":0}}}\n{"prompt":"b","outcomes":{"w":{"score":"high"}}}\n' > "$tmp/bad.jsonl"
msg="$("$bin" simulate -c "$tmp/config.yaml" --data "$tmp/bad.jsonl" --requests-per-day 10 2>&1 || true)"
grep -q "bad.jsonl:2: outcomes.w.score: is required and must be a number" <<< "$msg" || fail "bad line: $msg"
: > "$tmp/empty.jsonl"
msg="$("$bin" simulate -c "$tmp/config.yaml" --data "$tmp/empty.jsonl" --requests-per-day 10 2>&1 || true)"
grep -q "the workload has no usable rows" <<< "$msg" || fail "empty: $msg"
msg="$("$bin" simulate -c "$tmp/config.yaml" --data "$tmp/rows.jsonl" --requests-per-day 10 --outcome turbo=w 2>&1 || true)"
grep -q "the config has no tier turbo" <<< "$msg" || fail "unknown tier: $msg"
msg="$("$bin" simulate -c "$tmp/config.yaml" --data "$tmp/rows.jsonl" --requests-per-day 10 --tokens 12 2>&1 || true)"
grep -q -- "--tokens expects IN:OUT" <<< "$msg" || fail "bad --tokens: $msg"
sed 's/price: {input: 1, cached_input: 0.5, output: 2}/price: {input: 0, output: 0}/' "$tmp/config.yaml" > "$tmp/free.yaml"
msg="$("$bin" simulate -c "$tmp/free.yaml" --data "$tmp/rows.jsonl" --requests-per-day 10 2>&1 || true)"
grep -q "tier cheap has no price" <<< "$msg" || fail "no price: $msg"
for cmd in "simulate -c $tmp/config.yaml --data $tmp/bad.jsonl --requests-per-day 10" \
           "simulate -c $tmp/config.yaml --data $tmp/rows.jsonl --requests-per-day 0" \
           "calibrate -c $tmp/config.yaml --data $tmp/rows.jsonl" \
           "breakeven --cheap-cost 1 --error-cost 1"; do
  if $bin $cmd > /dev/null 2>&1; then fail "exit 0 for: $cmd"; fi
done
echo "decision_tools: ok"
