#!/usr/bin/env bash
# Makes the profile for the profile-guided Release build (scripts/setup.sh runs it):
# builds an instrumented fulcrum and the fake upstream in build-pgo/, serves a
# training workload through them (scripts/pgo/requests.lua: chat completions by tier
# and routed by the learned model, whole and streamed, Anthropic Messages, a key with
# a budget and rate limits, the ledger on) and leaves the profile in build-pgo/profile.
# g++ then lays the hot path out together and inlines by what ran: worker
# instructions per small request -12%, user CPU per request at one connection about
# -30% (bench/RESULTS.md, session 14).
# Run again, it rebuilds incrementally and retrains only if the instrumented binary
# changed. Needs wrk (scripts/deps.sh installs it): without it, exits 1 with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk > /dev/null || { echo "pgo-profile: wrk is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
dir="$PWD/build-pgo"
profile="$dir/profile"
mkdir -p "$dir"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFULCRUM_PGO=generate -DFULCRUM_PGO_DIR="$profile" \
  -DFULCRUM_WERROR=OFF -DFULCRUM_BENCH=OFF > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" --parallel "$(nproc)" --target fulcrum fake_upstream
if [ -f "$profile/trained" ] && [ "$profile/trained" -nt "$dir/src/fulcrum" ]; then
  echo "pgo-profile: the profile in $profile is up to date"
  exit 0
fi
rm -rf "$profile"  # counts from an older binary would not match this one
mkdir -p "$profile"
run="$(mktemp -d /tmp/fulcrum-pgo.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$run"; }
trap cleanup EXIT
source bench/lib.sh  # wait_line, start_fake_upstream, listening_port, shipped_threshold
FAKE_UPSTREAM_BIN="$dir/tests/fake_upstream" start_fake_upstream "$run"
key_sha=$(printf %s sk-fulcrum-training | sha256sum | cut -d' ' -f1)
threshold=$(shipped_threshold)
cat > "$run/fulcrum.yaml" <<YAML
threads: 1
log: {access: false, level: warn}
ledger: {path: "$run/ledger.db"}
providers:
  fake: {base_url: "http://127.0.0.1:$fake_port/v1", max_connections: 256}
tiers:
  flash: {provider: fake, model: fake-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}, fallback: [pro]}
  pro: {provider: fake, model: fake-pro, price: {input: 0.435, cached_input: 0.003625, output: 0.87}}
router:
  default: flash
  model: "$PWD/models/routellm-mixtral-gpt4.model"
  policies:
    - {type: threshold, on: score, below: flash, levels: [{at: $threshold, tier: pro}]}
keys:
  training: {sha256: "$key_sha", daily_budget_usd: 1000, requests_per_minute: 10000000, tokens_per_minute: 100000000}
YAML
"$dir/src/fulcrum" serve --config "$run/fulcrum.yaml" --listen 127.0.0.1:0 > "$run/fulcrum.log" 2>&1 & gateway=$!; pids+=($gateway)
wait_line "$run/fulcrum.log" "listening on"
port=$(listening_port "$run/fulcrum.log")
url="http://127.0.0.1:$port"
REQUEST_MIX=routed wrk -t1 -c8 -d6s -s scripts/pgo/requests.lua "$url" > "$run/wrk-routed.txt"
REQUEST_MIX=streams wrk -t1 -c8 -d2s -s scripts/pgo/requests.lua "$url" > "$run/wrk-streams.txt"
REQUEST_MIX=routed wrk -t1 -c1 -d2s -s scripts/pgo/requests.lua "$url" > "$run/wrk-one.txt"
for f in "$run"/wrk-*.txt; do  # a profile of refusals would optimise the wrong path
  if grep -q "Non-2xx" "$f" || ! grep -qE "^ +[1-9][0-9]* requests in" "$f"; then
    echo "pgo-profile: the training requests were not answered:" >&2; cat "$f" "$run/fulcrum.log" >&2; exit 1
  fi
done
kill -INT "$gateway"  # the profile is written when the gateway exits
wait "$gateway" || { echo "pgo-profile: the instrumented gateway did not exit cleanly" >&2; cat "$run/fulcrum.log" >&2; exit 1; }
[ -n "$(find "$profile" -name '*.gcda' -print -quit)" ] || { echo "pgo-profile: no profile was written to $profile" >&2; exit 1; }
touch "$profile/trained"
echo "pgo-profile: profile written to $profile ($(awk '/requests in/ {s += $1} END {print s}' "$run"/wrk-*.txt) requests)"
