#!/usr/bin/env bash
# Runs every test: unit, integration (fake upstream) and end-to-end (the real
# openai npm client), first on the Release build, then on an ASan+UBSan build.
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs="$(nproc)"

echo "== Release build: all tests"
ctest --test-dir build --output-on-failure --parallel "$jobs"

if [ "${1:-}" != "--no-sanitize" ]; then
  echo "== ASan+UBSan build: all tests"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFULCRUM_SANITIZE=ON
  cmake --build build-asan --parallel "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --parallel "$jobs"
fi
