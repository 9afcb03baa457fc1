#!/usr/bin/env bash
# Fails when a folder under src/ includes a header from a folder its library
# does not link, directly or through the folders it links: the include graph
# must follow the library graph of src/CMakeLists.txt (which CMake keeps
# acyclic), so the code has no include cycles either.
# Usage: scripts/check_layers.sh LAYERS_FILE SRC_DIR
#   LAYERS_FILE: "folder: lower folders..." lines, written by src/CMakeLists.txt at configure time.
set -euo pipefail
layers="$1"
src="$2"
declare -A direct
while IFS=: read -r folder deps; do direct[$folder]="$deps"; done < "$layers"

below() {  # the folders $1 links, transitively, as " a b c "
  local seen=" " stack=("$1") f d
  while ((${#stack[@]})); do
    f=${stack[-1]}
    unset 'stack[-1]'
    for d in ${direct[$f]:-}; do
      [[ $seen == *" $d "* ]] && continue
      seen+="$d "
      stack+=("$d")
    done
  done
  echo "$seen"
}

bad=0
for folder in "${!direct[@]}"; do
  allowed="$(below "$folder")"
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/^[^:]*:#include "([a-z_]+)\/.*/\1/' <<< "$line")
    [[ $inc == "$folder" || $allowed == *" $inc "* ]] && continue
    echo "$file includes $inc/, which $folder/ does not link (see src/CMakeLists.txt)"
    bad=1
  done < <(grep -rHE '^#include "[a-z_]+/' "$src/$folder" || true)
done
for d in "$src"/*/; do
  d=$(basename "$d")
  [[ -n "${direct[$d]+set}" ]] || { echo "src/$d/ is no library in src/CMakeLists.txt"; bad=1; }
done
exit $bad
