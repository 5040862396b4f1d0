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
