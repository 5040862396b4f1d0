#!/usr/bin/env bash
# The first build's time, as the README's quick start meets it: `cargo install --path crates/ghl
# --locked` from this tree with an empty cargo cache (every crate downloaded and compiled) and an
# empty target directory, on all of this machine's cores. Nothing of the user's cargo home or
# target directory is used or touched: both live in a temporary directory, removed at the end.
# The rest of the quick start (keys, accounts, start) is timed by scripts/quickstart.sh.
# Usage: bash scripts/bench/first-build.sh
# Prints one line, `first build: N s on K cores, rustc V`, and
# exits non-zero if the build fails. Run it on an otherwise idle machine: a busy one measures
# its load.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The toolchain stays where rustup keeps it; only the cache of crates and the build are fresh.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(rustup show active-toolchain | cut -d' ' -f1)}"
export CARGO_HOME="$dir/cargo-home" CARGO_TARGET_DIR="$dir/target"
mkdir -p "$CARGO_HOME"
started=$(date +%s)
cargo install --path crates/ghl --locked --quiet --root "$dir/root"
ended=$(date +%s)
"$dir/root/bin/ghl" --version >/dev/null
echo "first build: $((ended - started)) s on $(nproc) cores, $(rustc --version | cut -d' ' -f1-2)"
