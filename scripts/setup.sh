#!/usr/bin/env bash
# Sets fulcrum up on a fresh Debian 12 machine: installs the Debian packages,
# builds in Release with CMake + Ninja into build/ (profile-guided: see below),
# and installs the npm client used by the end-to-end tests. Safe to run again: every step is
# incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
# Profile-guided: an instrumented build serves a training workload first
# (scripts/pgo-profile.sh), then the Release build is compiled with its profile.
# FULCRUM_PGO=off builds without one.
pgo=()
if [ "${FULCRUM_PGO:-on}" != "off" ]; then
  bash scripts/pgo-profile.sh
  pgo=(-DFULCRUM_PGO=use -DFULCRUM_PGO_DIR="$PWD/build-pgo/profile")
else
  pgo=(-DFULCRUM_PGO= -DFULCRUM_PGO_DIR=)
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${pgo[@]}"
cmake --build build --parallel "$(nproc)"
if [ ! -d tests/e2e/node_modules/openai ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "fulcrum built: build/src/fulcrum"
