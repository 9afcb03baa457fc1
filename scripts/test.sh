#!/usr/bin/env bash
# Runs every test: unit, integration (fake upstream) and end-to-end (the real
# openai npm client) on the Release build; a short fuzz run of each parser;
# the .deb built, installed on this machine and run; then all tests again on
# an ASan+UBSan build.
# Usage: scripts/test.sh [--no-sanitize]   (skips the fuzz and sanitizer passes)
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
phase() { echo "== [$(( (SECONDS - started) / 60 ))m$(( (SECONDS - started) % 60 ))s] $*"; }
bash scripts/setup.sh
jobs="$(nproc)"

phase "Release build: all tests"
ctest --test-dir build --output-on-failure --parallel "$jobs"

phase "Package: the .deb built, installed and run (then purged)"
bash tests/package/deb_test.sh

if [ "${1:-}" = "--no-sanitize" ]; then exit 0; fi

phase "Fuzz smoke: each parser fuzz target for ${FUZZ_SECONDS:-10} s"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFULCRUM_FUZZ=ON -DFULCRUM_WERROR=OFF
cmake --build build-fuzz --parallel "$jobs"
for target in sse_parser chat_request config workload model_file upstream_answer client_apis traceparent; do
  corpus="$(mktemp -d)"
  seeds=()
  if [ -d "fuzz/corpus/$target" ]; then seeds=("fuzz/corpus/$target"); fi
  build-fuzz/fuzz/${target}_fuzz -max_total_time="${FUZZ_SECONDS:-10}" "$corpus" "${seeds[@]}" > "$corpus.log" 2>&1 \
    || { cat "$corpus.log"; echo "fuzz target $target failed"; exit 1; }
  echo "$target: $(grep -E '^Done' "$corpus.log")"
  rm -rf "$corpus" "$corpus.log"
done

phase "ASan+UBSan build: all tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFULCRUM_SANITIZE=ON -DFULCRUM_BENCH=OFF
cmake --build build-asan --parallel "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$jobs"
phase "all passed"
