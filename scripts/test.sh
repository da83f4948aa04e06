#!/usr/bin/env bash
# The project's test command (README): lint, format check, types, then the test suite with coverage.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
fail=0
echo "== ruff check"; $PY -m ruff check src tests bench training || fail=1
echo "== ruff format --check"; $PY -m ruff format --check src tests bench training || fail=1
echo "== mypy (strict, src/gardefou)"; $PY -m mypy || fail=1
echo "== pytest"
$PY -m pytest --cov=gardefou --cov-report=term --cov-fail-under=85 -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treating that as a failure" >&2
  rc=1
fi
[ "$rc" -ne 0 ] && fail=1
exit $fail
