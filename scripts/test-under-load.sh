#!/usr/bin/env bash
# The whole suite (scripts/test.sh) RUNS times in a row while a CPU hog keeps every core busy:
# the proof that no test depends on how fast the machine is (no sleeps for synchronisation, no
# timing floors). The hog is one busy loop per core at the tests' own priority (stress-ng's
# `--cpu` when installed). scripts/test.sh's set-up runs once first (without load), then the
# mail and PostgreSQL servers are started here for all the runs (GHL_TEST_SKIP_SETUP=1).
#
# Usage: bash scripts/test-under-load.sh [RUNS]   (default 5)
# Prints one line per run — its closing line and how long it took — also into
# target/test-under-load.txt, and exits non-zero if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cores=$(nproc)
mkdir -p target
hog=()
stop_all() {
  [ "${#hog[@]}" -eq 0 ] || kill "${hog[@]}" 2>/dev/null || true
  bash scripts/mail-server.sh stop >/dev/null 2>&1 || true
  bash scripts/pg-server.sh stop >/dev/null 2>&1 || true
}
trap stop_all EXIT
# The set-up (venvs, packages, Chromium…), checked by the kit's own tests.
bash scripts/test.sh -p gohumanloop-testkit >target/test-under-load-setup.log 2>&1 ||
  { tail -n 20 target/test-under-load-setup.log; exit 1; }
bash scripts/mail-server.sh start >/dev/null
bash scripts/pg-server.sh start >/dev/null
if command -v stress-ng >/dev/null; then
  stress-ng --cpu "$cores" --timeout 0 --quiet &
  hog+=($!)
else
  for _ in $(seq "$cores"); do
    (while :; do :; done) &
    hog+=($!)
  done
fi
report=target/test-under-load.txt

echo "$(date -u +%FT%TZ) $runs runs of scripts/test.sh, $cores cores busy with a CPU hog" | tee -a "$report"
failed=0
for run in $(seq "$runs"); do
  started=$(date +%s)
  status=0
  GHL_TEST_SKIP_SETUP=1 bash scripts/test.sh >"target/test-under-load-$run.log" 2>&1 || status=$?
  secs=$(($(date +%s) - started))
  line=$(tail -n 1 "target/test-under-load-$run.log")
  echo "run $run: $line (exit $status, ${secs} s; log target/test-under-load-$run.log)" | tee -a "$report"
  [ "$status" -eq 0 ] || failed=$((failed + 1))
done
echo "$failed of $runs runs failed" | tee -a "$report"
[ "$failed" -eq 0 ]
