#!/usr/bin/env bash
# One GPU round of the encoder tier in one device call: candidates and leave-one-source-out
# variants side by side, the choice made on the calibration split, the result packed to fetch.
#
#   bash training/encoder/gpu_round.sh DATA_DIR OUT_DIR [finetune.py options...]
#
# DATA_DIR is prepare.py's output (data.jsonl.gz + base/). Starts, each as its own process (the
# small model leaves a GPU mostly idle, so side by side is ~5x faster than one after another):
# three candidate models (seed 13 and 14 at finetune.py's default epochs, seed 13 at one epoch
# fewer) and one leave-one-source-out variant per source of $LOSO. select_run.py picks the
# candidate with the best calibration-split F1 (never the test split), merge_runs.py joins it with
# the variants, and the merged run is packed into OUT_DIR as parts of at most 15 MiB (the device
# tool returns files up to 16 MiB). Unpack: cat OUT_DIR/round.tgz.part-* | tar xzf - -C DEST
# (DEST/run is then what export.py --run and bench/guard_quality.py --encoder-run read).
# Extra options go to every process, e.g. `--limit 300 --epochs 1` for a smoke test on a CPU.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash training/encoder/gpu_round.sh DATA_DIR OUT_DIR [finetune.py options...]" >&2
  exit 2
fi
DATA=$1; OUT=$2; shift 2
if [ ! -f "$DATA/data.jsonl.gz" ] || [ ! -d "$DATA/base" ]; then
  echo "$DATA: no data.jsonl.gz and base/ here; run training/encoder/prepare.py --out $DATA" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}
LOSO=${LOSO:-alpaca_benign vigogne_fr jailbreak_llms repo}
EPOCHS=${EPOCHS:-6}
WORK=$(mktemp -d)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
FT=("$PY" "$HERE/finetune.py" --data "$DATA/data.jsonl.gz" --base "$DATA/base")
start=$(date +%s)
pids=()
"${FT[@]}" --out "$WORK/m13" --seed 13 --epochs "$EPOCHS" "$@" > "$WORK/log_m13.txt" 2>&1 & pids+=($!)
"${FT[@]}" --out "$WORK/m14" --seed 14 --epochs "$EPOCHS" "$@" > "$WORK/log_m14.txt" 2>&1 & pids+=($!)
"${FT[@]}" --out "$WORK/m13short" --seed 13 --epochs $((EPOCHS - 1)) "$@" \
  > "$WORK/log_m13short.txt" 2>&1 & pids+=($!)
for source in $LOSO; do
  "${FT[@]}" --out "$WORK/loso_$source" --no-main --loso "$source" --epochs "$EPOCHS" "$@" \
    > "$WORK/log_loso_$source.txt" 2>&1 & pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
echo "all runs done in $(( $(date +%s) - start )) s"
tail -n 2 "$WORK"/log_*.txt
if [ "$failed" = 1 ]; then
  echo "a fine-tuning process failed (logs above); packing the logs only" >&2
  (cd "$WORK" && tar czf - log_*.txt) | split -b 15m - "$OUT/round.tgz.part-"
  exit 1
fi
"$PY" "$HERE/select_run.py" --data "$DATA/data.jsonl.gz" --runs "$WORK/m13" "$WORK/m14" \
  "$WORK/m13short" --write "$WORK/chosen.txt"
variants=()
for source in $LOSO; do variants+=("$WORK/loso_$source"); done
"$PY" "$HERE/merge_runs.py" --main "$(cat "$WORK/chosen.txt")" --loso "${variants[@]}" --out "$WORK/run"
(cd "$WORK" && tar czf - log_*.txt chosen.txt ./*/finetune.json run) | split -b 15m - "$OUT/round.tgz.part-"
ls -la "$OUT"
rm -rf "$WORK"
