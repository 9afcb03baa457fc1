#!/usr/bin/env bash
# Usage: eval_gsm8k_test.sh FULCRUM_BIN GSM8K_JSONL
set -euo pipefail
bin="$1"; data="$2"
out="$("$bin" eval --data "$data" --folds 5 --seed 1)"
echo "$out"
apgr() { echo "$out" | awk -F'|' -v name="$1" '$2 ~ name {gsub(/ /, "", $3); print $3}'; }
learned=$(apgr "learned"); length=$(apgr "prompt length"); random=$(apgr "random")
[ "$length" = "0.598" ] || { echo "FAIL: prompt-length APGR $length, expected 0.598 (RouteLLM: 0.60)"; exit 1; }
awk -v l="$learned" -v b="$length" 'BEGIN { exit !(l >= b + 0.02) }' || { echo "FAIL: learned $learned < length $length + 0.02"; exit 1; }
awk -v r="$random" 'BEGIN { exit !(r > 0.4 && r < 0.6) }' || { echo "FAIL: random APGR $random not near 0.5"; exit 1; }
# Errors: a missing file and a malformed line exit non-zero with the line number.
if "$bin" eval --data /nonexistent.jsonl 2>/dev/null; then echo "FAIL: missing file accepted"; exit 1; fi
bad="$(mktemp)"; printf '{"prompt":"x","outcomes":{"a":{"score":1},"b":{"score":0}}}\n{oops\n' > "$bad"
msg="$("$bin" eval --data "$bad" 2>&1 || true)"; rm -f "$bad"
grep -q ":2: (line): not valid JSON" <<< "$msg" || { echo "FAIL: bad line not reported: $msg"; exit 1; }
# Trained on one set, scored on another: chat prompts scored by a GSM8K model.
arena="$(dirname "$data")/../chat/arena_bench_v1.jsonl"
transfer="$("$bin" eval --train "$data" --test "$arena" --seed 1)"
echo "$transfer"
grep -q "trained on .*gsm8k.jsonl (1307 prompts), scored on .*arena_bench_v1.jsonl (293 prompts)" <<< "$transfer" \
  || { echo "FAIL: transfer header"; exit 1; }
grep -qE "^\| P\(gpt-4-1106-preview good\) +\| +0\.[0-9]{3} \| +0\.[0-9]{3} \|" <<< "$transfer" || { echo "FAIL: no calibration table"; exit 1; }
if "$bin" eval --data "$data" --test "$arena" 2>/dev/null; then echo "FAIL: --data with --test accepted"; exit 1; fi
# The test data may name its pair otherwise (the operator's own tiers): two models are taken by
# mean score and score exactly as under the training names; three must be named.
renamed="$(mktemp)"
sed 's/"mixtral-8x7b-instruct"/"flash"/; s/"gpt-4-1106-preview"/"pro"/' "$arena" > "$renamed"
as_tiers="$("$bin" eval --train "$data" --test "$renamed" --seed 1)"
grep -q "the test data's flash and pro stand for mixtral-8x7b-instruct and gpt-4-1106-preview" <<< "$as_tiers" \
  || { echo "FAIL: renamed pair not said: $as_tiers"; exit 1; }
learned_row() { grep -E '^\| learned' <<< "$1"; }
[ "$(learned_row "$as_tiers")" = "$(learned_row "$transfer")" ] || { echo "FAIL: renamed pair scored otherwise"; exit 1; }
sed -i 's/"outcomes": {/"outcomes": {"other": {"score": 0.5}, /' "$renamed"
msg="$("$bin" eval --train "$data" --test "$renamed" 2>&1 || true)"
grep -q "the data has 3 models and not both of the training pair (mixtral-8x7b-instruct, gpt-4-1106-preview): name its pair with --test-weak and --test-strong" <<< "$msg" \
  || { echo "FAIL: three unnamed models: $msg"; exit 1; }
named="$("$bin" eval --train "$data" --test "$renamed" --test-weak flash --test-strong pro --seed 1)"
[ "$(learned_row "$named")" = "$(learned_row "$transfer")" ] || { echo "FAIL: named pair scored otherwise"; exit 1; }
rm -f "$renamed"
# Scores on a 1-10 scale are normalised (not clamped to a constant router); an unknown range is refused.
scale="$(mktemp)"
for i in $(seq 1 80); do
  printf '{"prompt":"item %d %s","outcomes":{"a":{"score":%d},"b":{"score":%d}}}\n' "$i" "$(head -c $((i % 13 + 1)) /dev/zero | tr '\0' 'q')" $(( (i * 7) % 10 + 1 )) $(( (i * 3) % 10 + 1 ))
done > "$scale"
msg="$("$bin" eval --data "$scale" --folds 2 2>&1)"
grep -q "scores on a 1-10, as (score - 1) / 9 scale, normalised to 0-1" <<< "$msg" || { echo "FAIL: no scale note: $msg"; exit 1; }
if grep -q "the same score" <<< "$msg"; then echo "FAIL: a 1-10 file gave a constant router"; exit 1; fi
sed -i 's/"score":10}/"score":1000}/' "$scale"
msg="$("$bin" eval --data "$scale" --folds 2 2>&1 || true)"; rm -f "$scale"
grep -q "scores range from 1 to 1000; expected 0/1, 0-1, 1-10 or 0-100" <<< "$msg" || { echo "FAIL: range not refused: $msg"; exit 1; }
echo "eval_gsm8k: ok"
