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
echo "$msg" | grep -q ":2: (line): not valid JSON" || { echo "FAIL: bad line not reported: $msg"; exit 1; }
echo "eval_gsm8k: ok"
