#!/usr/bin/env bash
# Set up gardefou from a fresh clone and run the main job on the embedded default model:
# install (CPU torch first, so pip never pulls a multi-GB CUDA build), then scan the example prompts.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
$PY -m pip install -q torch==2.13.0
$PY -m pip install -q -e '.[dev,tamper,ray]'
echo "== gardefou scan examples/prompts.txt (default policy, embedded model, offline)"
gardefou scan examples/prompts.txt --out examples/prompts.verdicts.jsonl
