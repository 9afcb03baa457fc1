#!/usr/bin/env bash
# Installs every Debian package fulcrum needs to build, test and benchmark
# (scripts/deps.sh --build-only: to build only).
# Safe to run twice: apt-get skips what is already installed.
set -euo pipefail

# --build-only: what building the gateway and its package needs, nothing for tests or
# benchmarks (the Dockerfile's build stage).
build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl file
  # Boost 1.81 explicitly: the default libboost-dev is 1.74 and its headers conflict.
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libssl-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev
  libhiredis-dev libfasttext-dev
  # reads upstream answers (Boost.JSON builds and edits requests)
  libsimdjson-dev
  # the shared ledger's client library
  libpq-dev
  # the server's allocator (glibc malloc was ~14% of its CPU under load)
  libmimalloc-dev
)
test_packages=(
  sqlite3 redis-server
  # a PostgreSQL server the ledger tests start on a temporary directory
  postgresql
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang libclang-rt-14-dev
  nginx-light wrk curl bc
  # the dashboard test drives headless Chromium
  chromium fonts-dejavu-core
)
packages=("${build_packages[@]}")
[ "${1:-}" = "--build-only" ] || packages+=("${test_packages[@]}")

need_install=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_install+=("$p")
done

# node/npm (end-to-end tests): keep an existing node (the machine may ship a newer one than Debian's);
# install Debian's otherwise.
if [ "${1:-}" != "--build-only" ]; then
  command -v node >/dev/null 2>&1 || need_install+=(nodejs)
  command -v npm >/dev/null 2>&1 || need_install+=(npm)
fi

if ((${#need_install[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_install[@]}"
fi
