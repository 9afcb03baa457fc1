#!/usr/bin/env bash
# Sets fulcrum up on a fresh Debian 12 machine: installs the Debian packages,
# builds in Release with CMake + Ninja into build/, and installs the npm
# client used by the end-to-end tests. Safe to run again: every step is
# incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)"
if [ ! -d tests/e2e/node_modules/openai ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "fulcrum built: build/src/fulcrum"
