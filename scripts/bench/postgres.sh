#!/usr/bin/env bash
# The PostgreSQL store's figures, on a release build, over loopback, against a PostgreSQL 15 of
# its own with its durable defaults (fsync on, synchronous_commit on; the test server's
# shortcuts are not used here):
#   1. creates/s and status checks/s with one, two and three `ghl serve` nodes on one database
#      (one wrk per node, 32 connections in all), and the hubs' CPU time per create;
#   2. the same creates/s and CPU per create on SQLite (--sync full), in the same run;
#   3. answer -> waiting agent p50/p99 with the answer on the same node and on another node.
# Any create or status check that is not 2xx and success:true, any wrk socket error, or a failed
# call of `ghl bench` fails the run (see scripts/bench/lib.sh, create.lua, status.lua).
# Usage: bash scripts/bench/postgres.sh [SECONDS]   (GHL_BENCH_BIN=PATH: another build of ghl;
#   GHL_BENCH_WORKERS: HTTP worker threads per node, default 1)
# Everything shares this machine's cores: the nodes, PostgreSQL and the load generators. With
# three nodes on two cores the figures show what the shared database costs, not how far a
# fleet of machines scales.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
workers="${GHL_BENCH_WORKERS:-1}"
pg_port="${GHL_BENCH_PG_PORT:-15440}"
. scripts/bench/lib.sh
need_wrk
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pick_ghl
dir=$(mktemp -d)
chmod 755 "$dir"
pids=()
as_postgres() { runuser -u postgres -- "$@"; }
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
mkdir "$dir/pg" && chown postgres "$dir/pg"
as_postgres "$pg_bin/initdb" -D "$dir/pg" -U postgres --auth=trust >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg/log" -w -o \
  "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c max_connections=200 -c shared_buffers=256MB" \
  start >/dev/null
server="postgres://postgres@127.0.0.1:$pg_port"
echo "PostgreSQL $("$pg_bin/postgres" --version | grep -o "[0-9]\+\.[0-9]\+" | head -n 1) on 127.0.0.1:$pg_port (fsync on, synchronous_commit on); $(nproc) cores shared by everything"
ulimit -n 65536 2>/dev/null || true
export GHL_MAX_CONNECTIONS_PER_ADDRESS=60000

# start_node NAME DB: a `ghl serve` on DB; sets `node_base` and appends its pid to `pids`.
start_node() {
  local name=$1 db=$2
  "$ghl" serve --addr 127.0.0.1:0 --db "$db" --log-level warn --workers "$workers" \
    >"$dir/$name.out" 2>"$dir/$name.err" &
  pids+=($!)
  wait_listening "$dir/$name.out" "$dir/$name.err" "${pids[-1]}"
  node_base=$listening
}

# wait_wrks LABEL KIND PID…: waits for each wrk (scripts/bench/*.lua, output in $dir/wrk-KIND-N.txt
# in the order of the pids) and fails the run, naming the count and a sample, if any of them
# saw a failed reply or a socket error.
wait_wrks() {
  local label=$1 kind=$2 i=0 pid rc
  shift 2
  for pid in "$@"; do
    rc=0
    wait "$pid" || rc=$?
    wrk_check "$dir/wrk-$kind-$i.txt" "$rc" "$label, wrk $((i + 1))" >/dev/null
    i=$((i + 1))
  done
}

sum() { awk '{ s += $1 } END { print s + 0 }'; }
cpu_ticks() { local t=0 pid; for pid in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$t"; }

# creates LABEL KEY BASE…: one wrk per node at once, 32 connections in all; prints the sum and
# the nodes' CPU time per create.
creates() {
  local label=$1 key=$2 n i before after count errors wrks=()
  shift 2
  n=$#
  local node_pids=("${pids[@]: -$n}")
  before=$(cpu_ticks "${node_pids[@]}")
  i=0
  for base in "$@"; do
    wrk -t1 -c$((32 / n)) -d"${seconds}s" -s scripts/bench/create.lua "$base" -- "$key" \
      >"$dir/wrk-create-$i.txt" &
    wrks+=($!)
    i=$((i + 1))
  done
  wait_wrks "$label creates" create "${wrks[@]}"
  after=$(cpu_ticks "${node_pids[@]}")
  count=$(cat "$dir"/wrk-create-*.txt | grep -o '[0-9]* creates)' | grep -o '[0-9]*' | sum)
  rm -f "$dir"/wrk-create-*.txt
  awk -v label="$label" -v n="$count" -v s="$seconds" -v t="$((after - before))" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%s: creates/s %.0f (%d creates, every one success:true), hub CPU per create %.1f µs\n", label, n / s, n, (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# statuses LABEL KEY BASE…: status checks/s of one stored request, one wrk per node at once.
statuses() {
  local label=$1 key=$2 n i total errors wrks=()
  shift 2
  n=$#
  local polled
  polled=$(curl -fsS -X POST "$1/api/v1/humanloop/request" -H "Authorization: Bearer $key" \
    -d '{"task_id":"t","conversation_id":"c","request_id":"polled","loop_type":"approval","context":{},"platform":"p","metadata":{}}')
  case "$polled" in
    *'"success":true'*) ;;
    *) echo "bench: the polled request was not created: $polled" >&2; exit 1 ;;
  esac
  i=0
  for base in "$@"; do
    wrk -t1 -c$((32 / n)) -d"${seconds}s" -s scripts/bench/status.lua \
      "$base/api/v1/humanloop/status?conversation_id=c&request_id=polled&platform=p" -- "$key" \
      >"$dir/wrk-status-$i.txt" &
    wrks+=($!)
    i=$((i + 1))
  done
  wait_wrks "$label status checks" status "${wrks[@]}"
  total=$(cat "$dir"/wrk-status-*.txt | grep -o 'status checks/s: [0-9]*' | grep -o '[0-9]*$' | sum)
  rm -f "$dir"/wrk-status-*.txt
  echo "$label: status checks/s $total (every one success:true)"
}

sqlite_db="sqlite://$dir/bench.db"
key=$("$ghl" keys create --db "$sqlite_db" --name bench 2>/dev/null | tail -n 1)
start_node sqlite "$sqlite_db"
creates "SQLite, 1 node" "$key" "$node_base"
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()

for nodes in 1 2 3; do
  as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "bench$nodes"
  db="$server/bench$nodes"
  key=$("$ghl" keys create --db "$db" --name bench 2>/dev/null | tail -n 1)
  bases=()
  for i in $(seq "$nodes"); do
    start_node "pg$nodes-$i" "$db"
    bases+=("$node_base")
  done
  creates "PostgreSQL, $nodes node(s)" "$key" "${bases[@]}"
  statuses "PostgreSQL, $nodes node(s)" "$key" "${bases[@]}"
  if [ "$nodes" -eq 2 ]; then
    "$ghl" bench --hub "${bases[0]}" --key "$key" --samples 1000 --waiters 0
    "$ghl" bench --hub "${bases[0]}" --key "$key" --samples 1000 --waiters 0 --answer-hub "${bases[1]}"
  fi
  "$ghl" audit verify --db "$db"
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()
done
