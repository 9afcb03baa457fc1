#!/usr/bin/env bash
# Load benchmark: the fake upstream directly, nginx proxy_pass in front of it (the floor for
# one extra hop), and fulcrum in front of it, measured by wrk in one run, for small
# non-streaming requests and 10-event streaming requests. Then fulcrum's RSS with 1,000
# concurrent open streams. Prints a Markdown table of absolute numbers and ratios.
# Usage: bench/load/run.sh [seconds per run (10)] [connections (64)]
# Needs: a Release build (scripts/setup.sh), nginx-light, wrk, node.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
conns="${2:-64}"
out="$(mktemp -d /tmp/fulcrum-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_line() {  # file pattern: wait until a line matches, 15 s at most
  for _ in $(seq 150); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for $2 in $1" >&2; cat "$1" >&2; exit 1
}

build/tests/fake_upstream 0 1 > "$out/fake.log" 2>&1 & pids+=($!)
wait_line "$out/fake.log" "listening on"
fake_port=$(grep -oE '[0-9]+$' "$out/fake.log")

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
nginx_port=$(free_port)
mkdir -p "$out/nginx"
cat > "$out/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $out/nginx/body;
  proxy_temp_path $out/nginx/proxy;
  upstream fake { server 127.0.0.1:$fake_port; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
nginx -c "$out/nginx.conf" -e "$out/nginx/error.log" & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" || { echo "nginx did not start:" >&2; cat "$out/nginx/error.log" >&2; exit 1; }

cat > "$out/fulcrum.yaml" <<YAML
threads: 1
log: {access: false, level: warn}
ledger: {path: "$out/ledger.db"}   # on, as by default: the bench pays for it
providers:
  fake: {base_url: "http://127.0.0.1:$fake_port/v1", max_connections: 4096}
tiers:
  flash: {provider: fake, model: fake-flash, price: {input: 0.14, cached_input: 0.0028, output: 0.28}}
router: {default: flash}
YAML
build/src/fulcrum serve --config "$out/fulcrum.yaml" --listen 127.0.0.1:0 > "$out/fulcrum.log" 2>&1 & fulcrum_pid=$!; pids+=($fulcrum_pid)
wait_line "$out/fulcrum.log" "listening on"
fulcrum_port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$out/fulcrum.log" | head -1 | cut -d: -f2)
sleep 0.3

# wrk prints latency percentiles with units; normalise to milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.3f", v}'; }
measure() {  # name port kind -> "rps p50 p99"
  BODY_KIND="$3" wrk -t1 -c"$conns" -d"${secs}s" --latency -s bench/load/post.lua "http://127.0.0.1:$2/v1/chat/completions" > "$out/wrk-$1-$3.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$1-$3.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/wrk-$1-$3.txt" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' "$out/wrk-$1-$3.txt" | to_ms)
  if [ -z "$rps" ] || grep -q "Non-2xx" "$out/wrk-$1-$3.txt"; then echo "non-2xx answers in $1/$3" >&2; cat "$out/wrk-$1-$3.txt" >&2; exit 1; fi
  echo "$rps $p50 $p99"
}

echo "| workload | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms |"
echo "|---|---|---|---|---|---|---|"
for kind in small stream; do
  read -r d_rps d_p50 d_p99 <<< "$(measure direct "$fake_port" "$kind")"
  read -r n_rps n_p50 n_p99 <<< "$(measure nginx "$nginx_port" "$kind")"
  read -r f_rps f_p50 f_p99 <<< "$(measure fulcrum "$fulcrum_port" "$kind")"
  printf "| %s | fake upstream direct | %.0f | %.3f | %.3f | - | - |\n" "$kind" "$d_rps" "$d_p50" "$d_p99"
  printf "| %s | nginx -> fake | %.0f | %.3f | %.3f | %.3f | %.3f |\n" "$kind" "$n_rps" "$n_p50" "$n_p99" \
    "$(echo "$n_p50 - $d_p50" | bc -l)" "$(echo "$n_p99 - $d_p99" | bc -l)"
  printf "| %s | fulcrum -> fake | %.0f | %.3f | %.3f | %.3f | %.3f |\n" "$kind" "$f_rps" "$f_p50" "$f_p99" \
    "$(echo "$f_p50 - $d_p50" | bc -l)" "$(echo "$f_p99 - $d_p99" | bc -l)"
  ratios+=("$kind: fulcrum/nginx throughput $(echo "scale=2; $f_rps / $n_rps" | bc -l)x; added p99 fulcrum/nginx $(echo "scale=2; ($f_p99 - $d_p99) / ($n_p99 - $d_p99)" | bc -l 2>/dev/null || echo n/a)x")
done
echo
for r in "${ratios[@]}"; do echo "- $r"; done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_rss=$(rss_kb "$fulcrum_pid")
node bench/load/open_streams.mjs "$fulcrum_port" 1000 > "$out/streams.log" 2>&1 & streams_pid=$!; pids+=($streams_pid)
wait_line "$out/streams.log" "ready"
sleep 1
open_rss=$(rss_kb "$fulcrum_pid")
kill "$streams_pid"
echo "- fulcrum RSS: $((idle_rss / 1024)) MB after the load runs, $((open_rss / 1024)) MB with 1,000 concurrent open streams (target <= 100 MB)"
echo "- raw wrk output: $out"
