#!/usr/bin/env bash
# docs/config.md cannot drift from the code: every key the config loader
# accepts (its check_keys lists), every feature a rule can test and every
# x-fulcrum-* header the code reads or writes must appear there, in backticks.
set -euo pipefail
src="$1"
doc="$src/docs/config.md"
missing=0
# Every word inside a `code span` of the reference.
words="$(grep -oE '`[^`]+`' "$doc" | grep -oE '[a-z][a-z0-9_-]*' | sort -u)"
check() {
  if ! grep -qxF "$1" <<<"$words"; then
    echo "docs/config.md does not mention \`$1\` ($2)"
    missing=1
  fi
}
# Keys: the string literals inside check_keys(..., {...}) calls (which may span two lines).
keys="$(sed -n '/check_keys(/{N;p}' "$src"/src/config/*.cc | tr '\n' ' ' |
  grep -oE 'check_keys\([^{]*\{[^}]*\}' | grep -oE '"[a-z_0-9]+"' | tr -d '"' | sort -u)"
[ -n "$keys" ] || { echo "no keys found in the loader: the extraction is broken"; exit 1; }
for k in $keys; do check "$k" "a config key"; done
# Features a rule can test: the names feature_by_name() knows.
features="$(grep -oE 'FeatureId::[a-z_]+, "[a-z_]+"' "$src/src/config/load_router.cc" | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)"
[ -n "$features" ] || { echo "no feature names found: the extraction is broken"; exit 1; }
for f in $features; do check "$f" "a rule feature"; done
# Headers.
for h in $(grep -rhoE '"x-fulcrum-[a-z-]+"' "$src/src" | tr -d '"' | sort -u); do check "$h" "a header"; done
[ "$missing" = 0 ] || exit 1
echo "docs/config.md covers $(echo "$keys" | wc -l) keys, $(echo "$features" | wc -l) features and every x-fulcrum header"
