#!/usr/bin/env bash
# Load benchmark: the fake upstream directly, nginx proxy_pass in front of it (the floor for
# one extra hop), and fulcrum in front of it, measured by wrk in one run, for small
# non-streaming requests and 10-event streaming requests. Then fulcrum's RSS with 1,000
# concurrent open streams. Prints a Markdown table of absolute numbers and ratios.
# The three targets are measured back to back in each of several rounds; on a
# small shared machine single runs swing widely (the added-p99 ratio ranged
# 1.5x-3.3x between identical runs), so the table gives each figure's median
# over the rounds and the ratios their median and range.
# Usage: bench/load/run.sh [seconds per run (10)] [connections (64)] [rounds (5)]
# At one connection (bench/load/run.sh 10 1 5) it measures what public gateway benchmarks call
# added latency: fulcrum's added p50 and p99 over a direct call, against nginx's.
# (FULCRUM_BIN=path runs another fulcrum binary, for A/B comparisons; FULCRUM_LEDGER=off turns
# the ledger off, to see its share; FULCRUM_FLUSH_MS=N sets the ledger's flush_ms.)
# Needs: a Release build (scripts/setup.sh), nginx-light, wrk, node.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
conns="${2:-64}"
rounds="${3:-5}"
out="$(mktemp -d /tmp/fulcrum-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

source bench/lib.sh

start_fake_upstream "$out"

nginx_port=$(free_port)
write_nginx_config "$out" "$nginx_port"
nginx -c "$out/nginx.conf" -e "$out/nginx/error.log" & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" || { echo "nginx did not start:" >&2; cat "$out/nginx/error.log" >&2; exit 1; }

# On, as by default: the bench pays for it. FULCRUM_LEDGER=off measures the hop without it.
ledger="{path: \"$out/ledger.db\"${FULCRUM_FLUSH_MS:+, flush_ms: $FULCRUM_FLUSH_MS}}"
[ "${FULCRUM_LEDGER:-on}" = off ] && ledger="{path: null}"
write_gateway_config "$out/fulcrum.yaml" "$ledger"
"${FULCRUM_BIN:-build/src/fulcrum}" serve --config "$out/fulcrum.yaml" --listen 127.0.0.1:0 > "$out/fulcrum.log" 2>&1 & fulcrum_pid=$!; pids+=($fulcrum_pid)
wait_line "$out/fulcrum.log" "listening on"
fulcrum_port=$(listening_port "$out/fulcrum.log")
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

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.2f-%.2f", lo, hi}'; }
declare -A rps p50 p99 tput_ratio p50_ratio p99_ratio
# Warm-up, discarded: first connections, pools and allocator growth.
for port in "$fake_port" "$nginx_port" "$fulcrum_port"; do
  for kind in small stream; do
    BODY_KIND=$kind wrk -t1 -c"$conns" -d1s -s bench/load/post.lua "http://127.0.0.1:$port/v1/chat/completions" > /dev/null
  done
done
for kind in small stream; do
  for ((r = 1; r <= rounds; r++)); do
    # nginx and fulcrum take turns going second, so that a machine getting
    # slower or faster during a round does not favour one of them.
    order="direct nginx fulcrum"; ((r % 2 == 0)) && order="direct fulcrum nginx"
    for target in $order; do
      case $target in direct) port=$fake_port ;; nginx) port=$nginx_port ;; fulcrum) port=$fulcrum_port ;; esac
      read -r a b c <<< "$(measure "$target-$r" "$port" "$kind")"
      rps[$kind-$target]+="$a "; p50[$kind-$target]+="$b "; p99[$kind-$target]+="$c "
      eval "last_$target=\"$a $b $c\""
    done
    read -r d_rps d_p50 d_p99 <<< "$last_direct"
    read -r n_rps n_p50 n_p99 <<< "$last_nginx"
    read -r f_rps f_p50 f_p99 <<< "$last_fulcrum"
    tput_ratio[$kind]+="$(echo "$f_rps / $n_rps" | bc -l) "
    p50_ratio[$kind]+="$(echo "($f_p50 - $d_p50) / ($n_p50 - $d_p50)" | bc -l 2>/dev/null || echo) "
    p99_ratio[$kind]+="$(echo "($f_p99 - $d_p99) / ($n_p99 - $d_p99)" | bc -l 2>/dev/null || echo) "
  done
done

declare -A added_p50 added_p99
echo "| workload | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms |"
echo "|---|---|---|---|---|---|---|"
for kind in small stream; do
  d_p50=$(echo "${p50[$kind-direct]}" | median); d_p99=$(echo "${p99[$kind-direct]}" | median)
  for target in direct nginx fulcrum; do
    m_rps=$(echo "${rps[$kind-$target]}" | median); m_p50=$(echo "${p50[$kind-$target]}" | median)
    m_p99=$(echo "${p99[$kind-$target]}" | median)
    case $target in direct) label="fake upstream direct" ;; nginx) label="nginx -> fake" ;; fulcrum) label="fulcrum -> fake" ;; esac
    if [ "$target" = direct ]; then
      printf "| %s | %s | %.0f | %.3f | %.3f | - | - |\n" "$kind" "$label" "$m_rps" "$m_p50" "$m_p99"
    else
      added_p50[$kind-$target]=$(echo "$m_p50 - $d_p50" | bc -l); added_p99[$kind-$target]=$(echo "$m_p99 - $d_p99" | bc -l)
      printf "| %s | %s | %.0f | %.3f | %.3f | %.3f | %.3f |\n" "$kind" "$label" "$m_rps" "$m_p50" "$m_p99" \
        "${added_p50[$kind-$target]}" "${added_p99[$kind-$target]}"
    fi
  done
done
echo
echo "(medians over $rounds rounds of ${secs} s per target, $conns connections)"
for kind in small stream; do
  echo "- $kind: fulcrum/nginx throughput $(echo "${tput_ratio[$kind]}" | median | xargs printf "%.2f")x" \
       "(rounds: $(echo "${tput_ratio[$kind]}" | range)); added p50 fulcrum/nginx" \
       "$(echo "${p50_ratio[$kind]}" | median | xargs printf "%.2f")x (rounds: $(echo "${p50_ratio[$kind]}" | range)); added p99 fulcrum/nginx" \
       "$(echo "${p99_ratio[$kind]}" | median | xargs printf "%.2f")x (rounds: $(echo "${p99_ratio[$kind]}" | range))"
  # A round's p99 ratio swings when nginx's added p99 is a few microseconds;
  # the ratio of the table's medians (over every round) moves less.
  echo "  - of the medians above: added p50 fulcrum/nginx" \
       "$(echo "${added_p50[$kind-fulcrum]} / ${added_p50[$kind-nginx]}" | bc -l 2>/dev/null | xargs printf "%.2f")x, added p99" \
       "$(echo "${added_p99[$kind-fulcrum]} / ${added_p99[$kind-nginx]}" | bc -l 2>/dev/null | xargs printf "%.2f")x"
done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_rss=$(rss_kb "$fulcrum_pid")
node bench/load/open_streams.mjs "$fulcrum_port" 1000 > "$out/streams.log" 2>&1 & streams_pid=$!; pids+=($streams_pid)
wait_line "$out/streams.log" "ready"
sleep 1
open_rss=$(rss_kb "$fulcrum_pid")
kill "$streams_pid"
echo "- fulcrum RSS: $((idle_rss / 1024)) MB after the load runs, $((open_rss / 1024)) MB with 1,000 concurrent open streams (target <= 100 MB)"
echo "- raw wrk output: $out"
