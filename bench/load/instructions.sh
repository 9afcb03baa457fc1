#!/usr/bin/env bash
# User-space instructions per request, by thread, under callgrind: the gateway's
# request path (its worker thread) and the ledger writer, for a build or two
# builds side by side. Unlike req/s on a shared 2-core machine (which swings
# 15-20% between identical runs), the count repeats within about 1%, so a
# change of a few percent in the hop's CPU cost can be seen and kept or dropped.
# It counts instructions, not time: cache misses and syscalls (the kernel's
# share, about half the hop's CPU) are not in it; bench/load/run.sh measures those.
# nginx proxying to the same fake upstream runs first, under the same counting,
# as the floor for one extra hop; each fulcrum row gives its ratio to it.
#
# Usage: bench/load/instructions.sh [KIND] [BINARY...]
#   KIND: small (default) or stream (a 10-event SSE answer); the binaries default
#   to build/src/fulcrum. Needs valgrind, nginx-light, wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
kind="${1:-small}"
shift || true
binaries=("$@")
[ ${#binaries[@]} -eq 0 ] && binaries=(build/src/fulcrum)
out="$(mktemp -d /tmp/fulcrum-instructions.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

source bench/lib.sh
requests_total() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^fulcrum_requests_total/ {s += $2} END {print s + 0}'; }

start_fake_upstream "$out"

echo "| binary | requests | worker instructions / request | / nginx's | ledger writer instructions / request |"
echo "|---|---|---|---|---|"

# The floor: nginx, one worker in one process (so that callgrind follows it), the same load.
mkdir -p "$out/nginx-run"
nginx_port=$(free_port)
write_nginx_config "$out/nginx-run" "$nginx_port" "master_process off;"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/nginx-run/cg.out" \
  nginx -c "$out/nginx-run/nginx.conf" -e "$out/nginx-run/nginx/error.log" > "$out/nginx-run/nginx.log" 2>&1 & vg=$!; pids+=($vg)
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.1; done
BODY_KIND=$kind wrk -t1 -c4 -d2s -s bench/load/post.lua "http://127.0.0.1:$nginx_port/v1/chat/completions" > /dev/null
callgrind_control -i on "$vg" > /dev/null 2>&1
n=$(BODY_KIND=$kind wrk -t1 -c4 -d8s -s bench/load/post.lua "http://127.0.0.1:$nginx_port/v1/chat/completions" | awk '/requests in/ {print $1}')
callgrind_control -i off "$vg" > /dev/null 2>&1
kill -QUIT "$vg"; wait "$vg" 2>/dev/null || true
nginx_total=$(callgrind_annotate "$out/nginx-run/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
[[ "$nginx_total" =~ ^[0-9]+$ && "$n" -gt 0 ]] || { echo "nginx under callgrind answered nothing" >&2; exit 1; }
nginx_per=$((nginx_total / n))
printf "| nginx (proxy_pass) | %d | %d | 1.00x | - |\n" "$n" "$nginx_per"
for i in "${!binaries[@]}"; do
  bin="${binaries[$i]}"
  run="$out/run$i"
  mkdir -p "$run"
  write_gateway_config "$run/fulcrum.yaml" "{path: \"$run/ledger.db\"}"
  # Collection starts after the warm-up; one output file per thread.
  valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file="$run/cg.out" \
    "$bin" serve --config "$run/fulcrum.yaml" --listen 127.0.0.1:0 > "$run/fulcrum.log" 2>&1 & vg=$!; pids+=($vg)
  wait_line "$run/fulcrum.log" "listening on"
  port=$(listening_port "$run/fulcrum.log")
  BODY_KIND=$kind wrk -t1 -c4 -d2s -s bench/load/post.lua "http://127.0.0.1:$port/v1/chat/completions" > /dev/null
  before=$(requests_total "$port")
  callgrind_control -i on "$vg" > /dev/null 2>&1
  BODY_KIND=$kind wrk -t1 -c4 -d8s -s bench/load/post.lua "http://127.0.0.1:$port/v1/chat/completions" > /dev/null
  callgrind_control -i off "$vg" > /dev/null 2>&1
  n=$(( $(requests_total "$port") - before ))
  kill -INT "$vg"; wait "$vg" 2>/dev/null || true
  # Threads by what they ran: the ledger's writer is the one that ran SQLite;
  # of the others, the event loop's thread is the busiest.
  worker=0 writer=0
  for f in "$run"/cg.out-*; do
    profile=$(callgrind_annotate "$f" 2>/dev/null || true)
    total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' <<< "$profile")
    [[ "$total" =~ ^[0-9]+$ ]] || continue  # a thread that ran nothing while counting
    if grep -q "sqlite3VdbeExec" <<< "$profile"; then writer=$((writer + total))
    elif [ "$total" -gt "$worker" ]; then worker=$total; fi
  done
  [ "$n" -gt 0 ] || { echo "no requests were answered by $bin" >&2; exit 1; }
  printf "| %s | %d | %d | %.2fx | %d |\n" "$bin" "$n" $((worker / n)) "$(echo "$worker / $n / $nginx_per" | bc -l)" $((writer / n))
done
echo
echo "(callgrind, 8 s of wrk -c4 after a 2 s warm-up, $kind requests; the /metrics reads are in the counts)"
