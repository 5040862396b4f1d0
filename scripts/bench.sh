#!/usr/bin/env bash
# The hub's benchmark, on a release build, over loopback:
#   1. creates/s   — wrk, 32 connections, every create committed before its reply; the hub's
#      CPU time (user + system) per create over that run
#   2. status/s    — wrk, 32 connections, the original client's status poll
#   3. answer -> waiting agent latency (p50/p99): a raw long-poll, then the library's ApiProvider;
#      then 10,000 agents waiting at once and the hub's memory meanwhile — `ghl bench`;
#      then one tenant's task uploads (4 × 2,500 new conversations: a task holds at most
#      10,000) against another tenant's create latency, and an unchanged re-send —
#      `ghl bench --sync-key` (an upload the hub refuses fails the benchmark)
#   4. the web inbox with 100,000 requests in a fresh store: first page, filters, a deep page;
#      the hub's own time per page (Server-Timing) and the client's — `ghl bench --inbox-requests`
#   5. the email channel: GHL_BENCH_MAILS requests with a recipient, created back to back; the
#      time until the local Postfix (scripts/mail-server.sh) has accepted every mail — mails/s
#   6. the chat channels against local fakes (GHL_BENCH_CHAT=1): fan-out deliveries/s and
#      click → the other platforms' cards updated, p50/p99
#   7. the MCP gateway (GHL_BENCH_MCP=1): pass-through overhead, decision → upstream latency
#   8. the Python adapters (GHL_BENCH_PY=1): a release wheel's size, answer → resumed LangGraph
#      node p50/p99 (create_resume_command's long-poll), the package's import time
# The run checks itself and fails (non-zero exit, a message naming the count and a sample) when
# any call failed: a wrk reply that is not 2xx or not success:true, a wrk socket error or
# time-out (scripts/bench/*.lua), any failed call of `ghl bench` (which also fails on a page
# without Server-Timing, and reads the hub's memory only once the hub's ghl_waiters gauge counts
# every waiting agent), a hub that never listens, or mails the SMTP server has not all accepted.
# Usage: scripts/bench.sh [SECONDS]
#   (env: GHL_SYNC=full|normal, GHL_BENCH_WORKERS, GHL_BENCH_WAITERS, GHL_BENCH_INBOX=100000,
#    GHL_BENCH_MAILS=500, GHL_BENCH_SYNC_UPLOADS=4, GHL_BENCH_SYNC_CONVERSATIONS=2500,
#    GHL_BENCH_BIN=PATH to measure another build of ghl)
# The load generators run on the same machine as the hub and share its cores; on a 2-core
# machine the hub does best with one HTTP worker thread (GHL_BENCH_WORKERS=1, the default here).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
. scripts/bench/lib.sh
need_wrk
pick_ghl
dir=$(mktemp -d)
trap 'kill "$hub" "${inbox_hub:-}" "${mail_hub:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite://$dir/bench.db"
key=$("$ghl" keys create --db "$db" --name bench 2>/dev/null | tail -n 1)
sync_key=$("$ghl" keys create --db "$db" --tenant uploads --name bench-sync 2>/dev/null | tail -n 1)
ulimit -n 65536 2>/dev/null || true
# Every load generator runs on this machine: one client address holds all the waiters.
export GHL_MAX_CONNECTIONS_PER_ADDRESS="${GHL_MAX_CONNECTIONS_PER_ADDRESS:-60000}"
"$ghl" serve --addr 127.0.0.1:0 --db "$db" --log-level warn --sync "${GHL_SYNC:-full}" \
  --workers "${GHL_BENCH_WORKERS:-1}" >"$dir/serve.out" 2>"$dir/serve.err" &
hub=$!
wait_listening "$dir/serve.out" "$dir/serve.err" "$hub"
base=$listening
echo "hub $base (sync ${GHL_SYNC:-full}, ${GHL_BENCH_WORKERS:-1} worker thread(s)), $(nproc) cores shared with the load generators"

# The hub's own CPU time (user + system, all threads) per create, over the wrk run.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$hub/stat"; }
ticks_before=$(cpu_ticks)
wrk_run "creates (create.lua)" "$dir/creates.txt" \
  -t2 -c32 -d"${seconds}s" -s scripts/bench/create.lua "$base" -- "$key"
ticks_after=$(cpu_ticks)
count=$(grep -o '[0-9]* creates)' "$dir/creates.txt" | grep -o '[0-9]*')
awk -v t="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" -v n="$count" \
  'BEGIN { if (n > 0) printf "hub CPU time per create: %.1f µs (%d creates)\n", t * 1e6 / hz / n, n }'

polled=$(curl -fsS -X POST "$base/api/v1/humanloop/request" -H "Authorization: Bearer $key" \
  -d '{"task_id":"t","conversation_id":"c","request_id":"polled","loop_type":"approval","context":{},"platform":"p","metadata":{}}')
case "$polled" in
  *'"success":true'*) ;;
  *) echo "bench: the polled request was not created: $polled" >&2; exit 1 ;;
esac
wrk_run "status checks (status.lua)" "$dir/status.txt" -t2 -c32 -d"${seconds}s" \
  -s scripts/bench/status.lua \
  "$base/api/v1/humanloop/status?conversation_id=c&request_id=polled&platform=p" -- "$key"

"$ghl" bench --hub "$base" --key "$key" --samples 1000 --provider-samples 1000 \
  --waiters "${GHL_BENCH_WAITERS:-10000}" --hub-pid "$hub" \
  --sync-key "$sync_key" --sync-uploads "${GHL_BENCH_SYNC_UPLOADS:-4}" \
  --sync-conversations "${GHL_BENCH_SYNC_CONVERSATIONS:-2500}"

# 4. The inbox, on a store of its own holding exactly GHL_BENCH_INBOX requests.
inbox_requests="${GHL_BENCH_INBOX:-100000}"
if [ "$inbox_requests" -gt 0 ]; then
  inbox_db="sqlite://$dir/inbox.db"
  inbox_key=$("$ghl" keys create --db "$inbox_db" --name bench 2>/dev/null | tail -n 1)
  password=$("$ghl" users create --db "$inbox_db" --role admin bench 2>/dev/null | tail -n 1)
  "$ghl" serve --addr 127.0.0.1:0 --db "$inbox_db" --log-level warn --sync "${GHL_SYNC:-full}" \
    --workers "${GHL_BENCH_WORKERS:-1}" >"$dir/inbox.out" 2>"$dir/inbox.err" &
  inbox_hub=$!
  wait_listening "$dir/inbox.out" "$dir/inbox.err" "$inbox_hub"
  inbox_base=$listening
  GHL_BENCH_PASSWORD="$password" "$ghl" bench --hub "$inbox_base" --key "$inbox_key" --samples 0 \
    --waiters 0 --inbox-requests "$inbox_requests" --inbox-user bench --inbox-samples 1000
fi

# 5. The email channel: how fast mails leave for the (local) SMTP server.
mails="${GHL_BENCH_MAILS:-500}"
if [ "$mails" -gt 0 ] && command -v sqlite3 >/dev/null; then
  bash scripts/mail-server.sh start >/dev/null
  set -a; . "${GHL_MAIL_DIR:-target/mail-server}/env"; set +a
  mail_db="$dir/mail.db"
  mail_key=$("$ghl" keys create --db "sqlite://$mail_db" --name bench 2>/dev/null | tail -n 1)
  GHL_EMAIL_PASSWORD="$GHL_TEST_MAIL_PASSWORD" "$ghl" serve --addr 127.0.0.1:0 \
    --db "sqlite://$mail_db" --log-level warn --sync "${GHL_SYNC:-full}" \
    --email-smtp "$GHL_TEST_MAIL_HOST:$GHL_TEST_SMTP_PORT" --email-smtp-security starttls \
    --email-username "bench-hub@$GHL_TEST_MAIL_DOMAIN" --email-ca "$GHL_TEST_MAIL_CA" \
    >"$dir/mail.out" 2>"$dir/mail.err" &
  mail_hub=$!
  wait_listening "$dir/mail.out" "$dir/mail.err" "$mail_hub"
  mail_base=$listening
  started=$(date +%s.%N)
  for i in $(seq "$mails"); do
    created_reply=$(curl -sS -w '\n%{http_code}' -X POST "$mail_base/api/v1/humanloop/request" \
      -H "Authorization: Bearer $mail_key" \
      -d "{\"task_id\":\"t\",\"conversation_id\":\"c$i\",\"request_id\":\"r$i\",\"loop_type\":\"approval\",\"context\":{\"message\":\"bench $i\"},\"platform\":\"p\",\"metadata\":{\"recipient_email\":\"bench-approver@$GHL_TEST_MAIL_DOMAIN\"}}")
    case "$created_reply" in
      *'"success":true'*$'\n'2??) ;;
      *) echo "bench: email channel: create $i of $mails failed: HTTP ${created_reply##*$'\n'} ${created_reply%$'\n'*}" >&2; exit 1 ;;
    esac
  done
  created=$(date +%s.%N)
  # A bounded poll of the store (every 0.1 s, at most GHL_BENCH_MAIL_SECONDS, default 120):
  # the figure is taken when every mail is sent; a run where some never are fails.
  sent=0
  for _ in $(seq $(( ${GHL_BENCH_MAIL_SECONDS:-120} * 10 ))); do
    sent=$(sqlite3 "$mail_db" "SELECT count(*) FROM email_messages WHERE sent_at IS NOT NULL")
    [ "$sent" -ge "$mails" ] && break
    sleep 0.1
  done
  done_at=$(date +%s.%N)
  kill "$mail_hub"
  if [ "$sent" -lt "$mails" ]; then
    echo "bench: email channel: only $sent of $mails mails accepted by SMTP within ${GHL_BENCH_MAIL_SECONDS:-120} s; the hub's stderr:" >&2
    tail -n 20 "$dir/mail.err" >&2
    exit 1
  fi
  awk -v n="$sent" -v s="$started" -v c="$created" -v d="$done_at" 'BEGIN {
    printf "email channel: %d mails accepted by SMTP in %.2f s (%.0f mails/s); creating them took %.2f s\n", n, d - s, n / (d - s), c - s }'
fi

# 6. the chat channels (GHL_BENCH_CHAT=1), against local fakes of Slack, Feishu and WeCom on
#    loopback, through this tree's release `ghl serve`: deliveries/s for 1,000 requests fanned
#    out to the three, and a click in Slack → the Feishu and WeCom cards updated (p50/p99)
if [ "${GHL_BENCH_CHAT:-0}" = 1 ]; then
  cargo test --release -j "${CARGO_BUILD_JOBS:-2}" -p ghl --test chat_bench -- --ignored \
    --nocapture >"$dir/chat.txt" 2>&1 || test_failed "chat channels (chat_bench)" "$dir/chat.txt"
  grep -E "^(fan-out|click in Slack)" "$dir/chat.txt"
fi

# 7. the MCP gateway (GHL_BENCH_MCP=1): pass-through overhead against the reference filesystem
#    server, and decision → gated upstream call latency (needs scripts/test.sh's venv and npm).
if [ "${GHL_BENCH_MCP:-0}" = 1 ]; then
  GHL_TEST_PYTHON="${GHL_TEST_PYTHON:-$PWD/target/py-venv/bin/python}" \
    cargo test --release -j "${CARGO_BUILD_JOBS:-2}" -p ghl --test mcp_bench -- --ignored \
    --nocapture >"$dir/mcp.txt" 2>&1 || test_failed "MCP gateway (mcp_bench)" "$dir/mcp.txt"
  grep -E "^(pass-through|decision)" "$dir/mcp.txt"
fi

# 8. the Python adapters (GHL_BENCH_PY=1; needs scripts/test.sh's venv): a release wheel of
#    gohumanloop_rs, installed into target/py-venv (scripts/test.sh puts its dev build back).
if [ "${GHL_BENCH_PY:-0}" = 1 ]; then
  py=target/py-venv/bin/python
  rm -rf "$dir/wheels"
  target/py-venv/bin/maturin build --quiet --release -j "${CARGO_BUILD_JOBS:-2}" \
    -m crates/gohumanloop-py/Cargo.toml -i "$py" -o "$dir/wheels"
  wheel=$(ls "$dir"/wheels/gohumanloop_rs-*.whl)
  echo "python wheel $(basename "$wheel"): $(( $(stat -c %s "$wheel") / 1024 )) KiB"
  target/py-venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
  approver=$("$ghl" keys create --db "$db" --name bench-approver 2>/dev/null | tail -n 1)
  HUB="$base" AGENT_KEY="$key" APPROVER_KEY="$approver" "$py" scripts/bench/python_resume.py
fi
