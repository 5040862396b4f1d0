#!/usr/bin/env bash
# The fuzz targets of fuzz/ (crate gohumanloop-fuzz, a member of the workspace): what faces the
# network — the original protocol's and the answering API's bodies and queries, the signed
# email links, webhook signatures, each chat platform's callbacks, the MCP bridge's inputs, the
# mail reply parser. `cargo test --workspace` builds them on stable and replays every corpus
# (fuzz/tests/replay.rs); this script runs campaigns, which need a nightly toolchain and
# cargo-fuzz (`rustup toolchain install nightly`, `cargo install cargo-fuzz --locked`).
#
# Usage:
#   bash scripts/fuzz.sh build                  cargo +nightly fuzz build (every target)
#   bash scripts/fuzz.sh run [EXECS] [TARGET…]  a campaign: EXECS executions (default
#       10000000) of each TARGET (default: all), one after the other, one process each, seeded
#       from fuzz/corpus/<target>; new inputs go to target/fuzz-corpus/<target>, crashes to
#       fuzz/artifacts/<target>/. Prints execs, exec/s, cov, ft and crashes per target and
#       appends one line per target to target/fuzz-campaign.txt (FUZZ_SUMMARY).
#   bash scripts/fuzz.sh cmin [TARGET…]         merges target/fuzz-corpus/<target> into
#       fuzz/corpus/<target>, minimized (libFuzzer's -set_cover_merge=1 over edges, without hit
#       counts: a small set that keeps every edge), at most FUZZ_CORPUS_MAX (250) of them; the
#       seed-* and crash-* files are kept.
#   bash scripts/fuzz.sh list                   the targets.
# Settings: FUZZ_SANITIZER (default none: the workspace forbids unsafe code, and without ASan
# a target runs several times faster; `address` for a C dependency), FUZZ_NICE (default 10),
# FUZZ_TIMEOUT (seconds per input before it counts as a hang, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(reply_parser original_api answering_api signed_link webhook_signature
  slack_interaction feishu_callback wecom_callback mcp_bridge)
sanitizer="${FUZZ_SANITIZER:-none}"
niceness="${FUZZ_NICE:-10}"
timeout="${FUZZ_TIMEOUT:-10}"
summary="${FUZZ_SUMMARY:-target/fuzz-campaign.txt}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# -a: overflow checks and debug assertions on, so that an arithmetic overflow is a crash.
fuzz=(nice -n "$niceness" cargo +nightly fuzz)
flags=(-a -s "$sanitizer")

need_nightly() {
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs a nightly toolchain and cargo-fuzz:" >&2
    echo "  rustup toolchain install nightly && cargo install cargo-fuzz --locked" >&2
    exit 1
  fi
}

targets() {
  if [ "$#" -eq 0 ]; then
    printf '%s\n' "${all_targets[@]}"
  else
    printf '%s\n' "$@"
  fi
}

# The value of `name: N` in the last status line of a libFuzzer log (empty if none).
last_stat() {
  { grep -E "^#[0-9]+" "$2" || true; } | { grep -oE "$1: [0-9]+" || true; } | tail -1 | awk '{print $2}'
}

# The value of `stat::name: N` of -print_final_stats=1 (empty if none).
final_stat() {
  { grep -E "^stat::$1:" "$2" || true; } | tail -1 | awk '{print $2}'
}

run() {
  local execs="${1:-10000000}"
  shift || true
  need_nightly
  "${fuzz[@]}" build "${flags[@]}"
  mkdir -p "$(dirname "$summary")"
  for target in $(targets "$@"); do
    local work="target/fuzz-corpus/$target" log="target/fuzz-logs/$target.log"
    mkdir -p "$work" "target/fuzz-logs" "fuzz/artifacts/$target"
    local crashes_before
    crashes_before=$(find "fuzz/artifacts/$target" -type f | wc -l)
    local start status=0
    start=$(date +%s)
    "${fuzz[@]}" run "${flags[@]}" "$target" "$work" "fuzz/corpus/$target" -- \
      -runs="$execs" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1 || status=$?
    local seconds=$(($(date +%s) - start))
    local done_execs cov ft crashes rate
    done_execs=$(final_stat number_of_executed_units "$log")
    rate=$(final_stat average_exec_per_sec "$log")
    cov=$(last_stat cov "$log")
    ft=$(last_stat ft "$log")
    crashes=$(($(find "fuzz/artifacts/$target" -type f | wc -l) - crashes_before))
    local line
    line="$(date -u +%Y-%m-%dT%H:%MZ) $target execs=${done_execs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=$(find "$work" "fuzz/corpus/$target" -type f | wc -l) crashes=$crashes seconds=$seconds exit=$status sanitizer=$sanitizer"
    echo "$line"
    echo "$line" >>"$summary"
    if [ "$status" -ne 0 ]; then
      echo "fuzz.sh: $target stopped (exit $status); see $log and fuzz/artifacts/$target/" >&2
      grep -E "panicked|SUMMARY|Test unit written" "$log" | head -5 >&2 || true
    fi
  done
}

cmin() {
  need_nightly
  "${fuzz[@]}" build "${flags[@]}"
  for target in $(targets "$@"); do
    local corpus="fuzz/corpus/$target" merged="target/fuzz-merged/$target"
    rm -rf "$merged"
    mkdir -p "$merged" "target/fuzz-corpus/$target"
    "${fuzz[@]}" run "${flags[@]}" "$target" "$merged" "$corpus" "target/fuzz-corpus/$target" -- \
      -set_cover_merge=1 -use_counters=0 -timeout="$timeout" >"target/fuzz-merged/$target.log" 2>&1
    # The seeds and the crashes once fixed stay (their names say what they are); the merge's
    # finds are named by their hash.
    find "$corpus" -type f ! -name 'seed-*' ! -name 'crash-*' -delete
    for file in "$merged"/*; do
      # Skip an input that is byte for byte a kept one.
      local same=false seed
      for seed in "$corpus"/seed-* "$corpus"/crash-*; do
        if cmp -s "$file" "$seed"; then
          same=true
          break
        fi
      done
      $same || cp "$file" "$corpus/"
    done
    # The repository keeps it: at most FUZZ_CORPUS_MAX finds (default 250; the largest, which
    # tend to hold the most features, are kept), besides the seeds and crashes.
    find "$corpus" -type f ! -name 'seed-*' ! -name 'crash-*' -printf '%s %p\n' | sort -rn |
      tail -n +"$((${FUZZ_CORPUS_MAX:-250} + 1))" | cut -d' ' -f2- | xargs -r rm --
    echo "$target: $(find "$corpus" -type f | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes"
  done
}

case "${1:-}" in
  build)
    need_nightly
    "${fuzz[@]}" build "${flags[@]}"
    ;;
  run)
    shift
    run "$@"
    ;;
  cmin)
    shift
    cmin "$@"
    ;;
  list)
    targets
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
