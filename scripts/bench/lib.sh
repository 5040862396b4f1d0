# What the benchmark scripts share; sourced from the repository's root.

# Installs wrk when it is missing.
need_wrk() {
  command -v wrk >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  }
}

# Sets `ghl` to the build to measure: GHL_BENCH_BIN when given (e.g. the commit before a
# change, built elsewhere, so that two commits are measured in one run on one machine), else
# this tree's release build, built now.
pick_ghl() {
  if [ -n "${GHL_BENCH_BIN:-}" ]; then
    ghl="$GHL_BENCH_BIN"
  else
    cargo build --release -j "${CARGO_BUILD_JOBS:-2}" -p ghl
    ghl="$PWD/target/release/ghl"
  fi
}

# Waits for the `ghl serve` with process id PID (stdout to OUT, stderr to ERR) to print its
# "listening on URL" line, and sets `listening` to the URL: a bounded poll (every 0.1 s, at
# most GHL_BENCH_START_SECONDS, default 60) that exits the script, naming the hub and showing
# its stderr, if the hub ends first or never says it listens.
wait_listening() {
  local out=$1 err=$2 pid=$3 limit=${GHL_BENCH_START_SECONDS:-60} i
  listening=""
  for i in $(seq $((limit * 10))); do
    listening=$(grep -o 'listening on http://[0-9.:]*' "$out" 2>/dev/null | head -n 1 | cut -d' ' -f3 || true)
    [ -n "$listening" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: the hub of $out (pid $pid) ended before it listened; its stderr:" >&2
      cat "$err" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "bench: the hub of $out (pid $pid) did not say it listens within $limit s; its stderr:" >&2
  cat "$err" >&2
  exit 1
}

# Checks the output OUT of a wrk run with scripts/bench/create.lua or status.lua (whose
# done() prints one summary line, then a "FAILED: …" line and exits 1 when any reply was not
# 2xx or not success:true, or any socket error or time-out occurred) and wrk's exit status RC:
# prints the summary line, or exits the script with a message naming what failed.
wrk_check() {
  local out=$1 rc=${2:-0} label=${3:-wrk}
  if grep -q '^FAILED' "$out"; then
    echo "bench: $label: $(grep -E '^(creates/s|status checks/s):' "$out" | head -n 1)" >&2
    echo "bench: $label $(grep '^FAILED' "$out" | head -n 1)" >&2
    exit 1
  fi
  if [ "$rc" -ne 0 ]; then
    echo "bench: $label: wrk exited with status $rc; its output:" >&2
    cat "$out" >&2
    exit 1
  fi
  if ! grep -qE '^(creates/s|status checks/s):' "$out"; then
    echo "bench: $label: wrk printed no summary line; its output:" >&2
    cat "$out" >&2
    exit 1
  fi
  grep -E '^(creates/s|status checks/s):' "$out" | head -n 1
}

# Runs `wrk ARGS…` with its output in OUT, then wrk_check: prints the summary line or fails
# naming LABEL.
wrk_run() {
  local label=$1 out=$2 rc=0
  shift 2
  wrk "$@" >"$out" 2>&1 || rc=$?
  wrk_check "$out" "$rc" "$label"
}

# Exits the script: the benchmark LABEL (a `cargo test … --ignored` run) failed; shows the end
# of its output FILE.
test_failed() {
  echo "bench: $1 failed; the end of its output:" >&2
  tail -n 40 "$2" >&2
  exit 1
}
