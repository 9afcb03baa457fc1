#!/usr/bin/env bash
# Usage: access_log_test.sh FULCRUM_BIN FAKE_UPSTREAM_BIN — the gateway's access log:
# one JSON line per request on stdout, whatever log.level is, every line written
# out by the time the gateway has stopped (SIGTERM).
set -euo pipefail
bin="$1"; fake="$2"
dir="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
source "$(dirname "$0")/../../bench/lib.sh"  # wait_line, start_fake_upstream, listening_port
FAKE_UPSTREAM_BIN="$fake" start_fake_upstream "$dir"
cat > "$dir/f.yaml" <<YAML
threads: 1
log: {access: true, level: warn}
ledger: {path: null}
providers: {p: {base_url: "http://127.0.0.1:$fake_port/v1"}}
tiers: {flash: {provider: p, model: f, price: {input: 0.14, output: 0.28}}}
router: {default: flash}
YAML
"$bin" serve --config "$dir/f.yaml" --listen 127.0.0.1:0 > "$dir/out.log" 2> "$dir/err.log" & gateway=$!; pids+=($gateway)
wait_line "$dir/out.log" "listening on"
port=$(listening_port "$dir/out.log")
ids=()
for i in $(seq 20); do
  ids+=("$(curl -sS -D - -o /dev/null "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' \
    -d "{\"model\":\"flash\",\"messages\":[{\"role\":\"user\",\"content\":\"hi $i\"}]}" \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "x-fulcrum-request-id" {print $2}')")
done
curl -sS -o /dev/null "http://127.0.0.1:$port/v1/chat/completions" -H 'content-type: application/json' -d '{"model":"nope"}'
kill -TERM "$gateway"; wait "$gateway"
[ "$(grep -c '^{"request_id":' "$dir/out.log")" -eq 21 ] || { echo "FAIL: not 21 access lines:"; cat "$dir/out.log"; exit 1; }
for id in "${ids[@]}"; do
  [ -n "$id" ] || { echo "FAIL: a response without x-fulcrum-request-id"; exit 1; }
  line=$(grep "\"request_id\":\"$id\"" "$dir/out.log") || { echo "FAIL: no access line for $id"; cat "$dir/out.log"; exit 1; }
  echo "$line" | node -e '
    const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (o.tier !== "flash" || o.status !== 200 || o.prompt_tokens !== 10 || o.cost_usd !== "0.0000028")
      { console.error("unexpected access line", o); process.exit(1); }' || { echo "FAIL: $line"; exit 1; }
done
grep '"status":400' "$dir/out.log" | grep -q '"error":' || { echo "FAIL: the refused request's line has no error"; cat "$dir/out.log"; exit 1; }
echo "ok"
