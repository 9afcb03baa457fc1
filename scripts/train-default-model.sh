#!/usr/bin/env bash
# Rebuilds the shipped models (learned router, domain classifier) from the public RouteLLM data:
#   scripts/train-default-model.sh [path to shared/data/routellm]
# Deterministic: the same data and binary give the same file.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/routellm}"
build/src/fulcrum train --data "$data/mmlu.jsonl" --data "$data/gsm8k.jsonl" --seed 1 --hash-bits 18 \
  --out models/routellm-mixtral-gpt4.model
build/src/fulcrum train-domains --data "$data/mmlu.jsonl" --data "$data/gsm8k.jsonl" --seed 1 --hash-bits 16 \
  --out models/domains.model
