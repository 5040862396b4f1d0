#!/usr/bin/env bash
# What a policy costs the create path, on a release build: creates/s and the hub's CPU time per
# create (wrk, scripts/bench/create.lua, for SECONDS each) with no policy, with 100 rules of which
# none matches (every rule is tried on every create), and with 100 rules of which the last
# matches every request (a plan is made and stored with each); then `Policy::plan_for` alone over
# 1, 100 and 1,000 rules (cargo bench, criterion).
# Usage: bash scripts/bench/policy.sh [SECONDS]   (GHL_BENCH_BIN=PATH: another build of ghl;
# GHL_BENCH_BASELINE=PATH: also measure that build, e.g. the commit before, without a policy,
# alternating with this one, in the same run)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
. scripts/bench/lib.sh
need_wrk
pick_ghl
dir=$(mktemp -d)
hub=""
trap 'kill $hub 2>/dev/null || true; rm -rf "$dir"' EXIT

# 100 rules: 99 about functions the benchmark's requests never call (each with an argument
# condition), then one that matches (or not) every request.
rules() {
  echo '[policy.groups]'
  echo 'finance = ["alice", "bob"]'
  for n in $(seq 99); do
    printf '[[policy.rule]]\nname = "r%s"\nwhen.function = "tool_%s_*"\nwhen.arguments = { "/amount" = { gt = %s } }\napprovers = ["finance"]\n' "$n" "$n" "$n"
  done
  printf '[[policy.rule]]\nname = "last"\nwhen.platform = "%s"\napprovers = ["finance"]\n' "$1"
}
rules "no-such-platform" >"$dir/none-match.toml"
rules "*" >"$dir/last-matches.toml"

run() {
  local label=$1; shift
  local file
  file=$(tr -c 'a-z0-9\n' '-' <<<"$label")
  local db="sqlite://$dir/$file.db"
  local key
  key=$("${bin:-$ghl}" keys create --db "$db" --name bench 2>/dev/null | tail -n 1)
  "${bin:-$ghl}" serve --addr 127.0.0.1:0 --db "$db" --log-level warn --workers 1 "$@" \
    >"$dir/$file.out" 2>"$dir/$file.err" &
  hub=$!
  wait_listening "$dir/$file.out" "$dir/$file.err" "$hub"
  local base=$listening
  local before after out count
  before=$(awk '{ print $14 + $15 }' "/proc/$hub/stat")
  # Fails the run (naming the count and a sample) on any failed create or socket error.
  wrk_run "$label" "$dir/$file.wrk" -t2 -c32 -d"${seconds}s" -s scripts/bench/create.lua \
    "$base" -- "$key" >/dev/null
  out=$(grep '^creates/s:' "$dir/$file.wrk")
  after=$(awk '{ print $14 + $15 }' "/proc/$hub/stat")
  count=$(grep -o '[0-9]* creates)' <<<"$out" | grep -o '[0-9]*')
  awk -v l="$label" -v o="$out" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$count" \
    'BEGIN { printf "%-24s %s; hub CPU per create %.1f µs\n", l, o, t * 1e6 / hz / n }'
  kill "$hub"; wait "$hub" 2>/dev/null || true; hub=""
}

for round in 1 2; do
  if [ -n "${GHL_BENCH_BASELINE:-}" ]; then
    bin="$GHL_BENCH_BASELINE" run "baseline, no policy #$round"
  fi
  run "no policy #$round"
  run "100 rules, none match #$round" --config "$dir/none-match.toml"
  run "100 rules, last matches #$round" --config "$dir/last-matches.toml"
done
cargo bench -j "${CARGO_BUILD_JOBS:-2}" -p gohumanloop-hub --bench policy -- --noplot 2>/dev/null \
  | grep -E "^plan_for|time:"
