#!/usr/bin/env bash
# Scan the gardefou gateway (in front of the stub upstream) with garak, as an OpenAI-compatible
# target, using probes whose detectors need no model download. Outside CI: garak is heavy.
#
#   python -m venv .venv-garak && .venv-garak/bin/pip install garak
#   GARAK=.venv-garak/bin/garak bench/garak/run_garak.sh
#
# Environment: GARAK (garak executable), STUB_PORT (9000), GW_PORT (8080), PROBES, GENERATIONS (1),
# POLICY (gateway policy, default: the config's), OUT (bench/results/redteam_garak.json),
# UPSTREAM (a real OpenAI-compatible model to put behind the gateway instead of the stub; the stub
# never complies, so only a real model makes the scan measure the guard), MODEL (stub-model).
set -euo pipefail
cd "$(dirname "$0")/../.."

GARAK=${GARAK:-garak}
STUB_PORT=${STUB_PORT:-9000}
GW_PORT=${GW_PORT:-8080}
GENERATIONS=${GENERATIONS:-1}
OUT=${OUT:-bench/results/redteam_garak.json}
PROBES=${PROBES:-encoding.InjectBase64,encoding.InjectHex,encoding.InjectROT13,dan.Dan_11_0,promptinject.HijackHateHumans,goodside.WhoIsRiley,lmrc.Profanity}
MODEL=${MODEL:-stub-model}
PREFIX=gardefou-gateway-$(date +%Y%m%d-%H%M%S)
WORK=$(mktemp -d)

command -v "$GARAK" >/dev/null || { echo "error: garak not found (set GARAK=path/to/garak)" >&2; exit 2; }

STUB_PID=""
if [ -z "${UPSTREAM:-}" ]; then
  gardefou stub-upstream --port "$STUB_PORT" >"$WORK/stub.log" 2>&1 &
  STUB_PID=$!
  UPSTREAM="http://127.0.0.1:$STUB_PORT/v1"
fi
serve_args=(--upstream "$UPSTREAM" --no-auth --port "$GW_PORT")
[ -n "${POLICY:-}" ] && serve_args+=(--policy "$POLICY")
gardefou serve "${serve_args[@]}" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
trap 'kill "$GW_PID" $STUB_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$GW_PORT/v1/models" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$GW_PORT/v1/models" >/dev/null || { echo "error: gateway did not start" >&2; cat "$WORK/gateway.log" >&2; exit 1; }

python - "$GW_PORT" "$WORK/generator_options.json" "$MODEL" <<'PY'
import json, sys
port, dest, model = sys.argv[1], sys.argv[2], sys.argv[3]
opts = json.load(open("bench/garak/generator_options.json"))
opts["openai"]["OpenAICompatible"]["uri"] = f"http://127.0.0.1:{port}/v1/"
opts["openai"]["OpenAICompatible"]["model"] = model
json.dump(opts, open(dest, "w"))
PY

# garak >= 0.11 names the target with --target_type/--target_name; older ones with --model_*
if "$GARAK" --help 2>/dev/null | grep -q -- "--target_type"; then
  TARGET=(--target_type openai.OpenAICompatible --target_name "$MODEL")
else
  TARGET=(--model_type openai.OpenAICompatible --model_name "$MODEL")
fi
"$GARAK" "${TARGET[@]}" --generator_option_file "$WORK/generator_options.json" \
  --probes "$PROBES" --generations "$GENERATIONS" --report_prefix "$PREFIX"

REPORT=$(find "$HOME/.local/share/garak" . -name "$PREFIX*.report.jsonl" 2>/dev/null | head -n 1)
[ -n "$REPORT" ] || { echo "error: garak report $PREFIX*.report.jsonl not found" >&2; exit 1; }
python bench/garak/summarize.py "$REPORT" --out "$OUT"
