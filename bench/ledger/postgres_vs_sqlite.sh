#!/usr/bin/env bash
# Small-request throughput with the PostgreSQL ledger against the SQLite one,
# side by side in one run: the fake upstream, a PostgreSQL server on a
# temporary directory (Debian's package; as root it runs as `postgres`), and
# two fulcrum processes (1 thread each) that differ only in `ledger:`. wrk
# drives each in turn, several rounds; prints req/s per round, the medians,
# the ratio PostgreSQL/SQLite (median and range), and what each ledger holds
# afterwards (every answered request should be there; dropped and lost counts).
# Usage: bench/ledger/postgres_vs_sqlite.sh [seconds per run (8)] [connections (64)] [rounds (5)]
# Needs: a Release build (scripts/setup.sh), postgresql, wrk, node, sqlite3.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-8}"
conns="${2:-64}"
rounds="${3:-5}"
out="$(mktemp -d /tmp/fulcrum-ledger-bench.XXXXXX)"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as=""; [ "$(id -u)" -eq 0 ] && { chown postgres "$out"; as="runuser -u postgres --"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  $as "$pg_bin/pg_ctl" -D "$out/pg" -m immediate stop > /dev/null 2>&1 || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

source bench/lib.sh
start_fake_upstream "$out"

pg_port=$(free_port)
$as "$pg_bin/initdb" -D "$out/pg" -U fulcrum -E UTF8 --no-locale --auth=trust > "$out/initdb.log" 2>&1
# Durable as shipped (fsync on, synchronous_commit on): the comparison is with SQLite's WAL + synchronous=NORMAL.
$as "$pg_bin/pg_ctl" -D "$out/pg" -w -l "$out/pg.log" -o "-p $pg_port -k $out -c listen_addresses=127.0.0.1" start > /dev/null
psql -h 127.0.0.1 -p "$pg_port" -U fulcrum -d postgres -qc "CREATE DATABASE fulcrum"

start_fulcrum() {  # name ledger-yaml -> started_port (not in $(...): its pid must reach the cleanup)
  write_gateway_config "$out/$1.yaml" "$2"
  build/src/fulcrum serve --config "$out/$1.yaml" --listen 127.0.0.1:0 > "$out/$1.log" 2>&1 & pids+=($!)
  wait_line "$out/$1.log" "listening on"
  started_port=$(listening_port "$out/$1.log")
}
start_fulcrum sqlite "{path: \"$out/ledger.db\"}"; sqlite_port=$started_port
start_fulcrum postgres "{url: \"postgresql://fulcrum@127.0.0.1:$pg_port/fulcrum\"}"; pg_fulcrum_port=$started_port

run() {  # port seconds -> req/s
  BODY_KIND=small wrk -t1 -c"$conns" -d"$2s" -s bench/load/post.lua "http://127.0.0.1:$1/v1/chat/completions" > "$out/wrk.txt"
  if grep -q "Non-2xx" "$out/wrk.txt"; then echo "non-2xx answers:" >&2; cat "$out/wrk.txt" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' "$out/wrk.txt"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.2f-%.2f", lo, hi}'; }

run "$sqlite_port" 1 > /dev/null; run "$pg_fulcrum_port" 1 > /dev/null  # warm-up, discarded
sq=""; pq=""; ratios=""
echo "| round | SQLite ledger req/s | PostgreSQL ledger req/s | ratio |"
echo "|---|---|---|---|"
for ((r = 1; r <= rounds; r++)); do
  a=$(run "$sqlite_port" "$secs"); b=$(run "$pg_fulcrum_port" "$secs")
  ratio=$(echo "$b / $a" | bc -l)
  sq+="$a "; pq+="$b "; ratios+="$ratio "
  printf "| %d | %.0f | %.0f | %.2f |\n" "$r" "$a" "$b" "$ratio"
done
printf "| median | %.0f | %.0f | %.2f (range %s) |\n" "$(echo "$sq" | median)" "$(echo "$pq" | median)" \
  "$(echo "$ratios" | median)" "$(echo "$ratios" | range)"
sleep 1  # let both writers commit their last batches
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1==m {print $2}'; }
echo
echo "- SQLite ledger: $(sqlite3 "$out/ledger.db" 'SELECT COUNT(*) FROM requests') rows," \
     "dropped $(metric "$sqlite_port" fulcrum_ledger_dropped_records_total), lost $(metric "$sqlite_port" fulcrum_ledger_write_errors_total)"
echo "- PostgreSQL ledger: $(psql -h 127.0.0.1 -p "$pg_port" -U fulcrum -d fulcrum -tAc 'SELECT COUNT(*) FROM requests') rows," \
     "dropped $(metric "$pg_fulcrum_port" fulcrum_ledger_dropped_records_total), lost $(metric "$pg_fulcrum_port" fulcrum_ledger_write_errors_total)"
echo "- ($rounds rounds of ${secs} s each, $conns connections, fulcrum 1 thread; raw output: $out)"
