#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs and starts what the tests need, then runs
# every check and test. `.ci/run` calls this same script.
#
# Needs: the Rust toolchain (cargo, rustfmt, clippy). The library and CLI tests need nothing
# else yet: the terminal tests drive `ghl` through pipes and a pseudo-terminal the kernel gives.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${CARGO_BUILD_JOBS:-2}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy -j "$jobs" --workspace --all-targets -- -D warnings

echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test -j "$jobs" --workspace 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { p += $4; f += $6 } END { printf "\nall tests: %d passed, %d failed\n", p, f }' "$log"
