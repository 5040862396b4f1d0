#!/usr/bin/env bash
# Runs the README's quick start as a newcomer pastes it: the shell block between the lines
# `<!-- ANCHOR: quickstart -->` and `<!-- ANCHOR_END: quickstart -->` of README.md, from the
# repository's root, in bash. Then, with the hub that block started, the README's Python client
# part (`ANCHOR: python`) with GHL_TEST_PYTHON (the original client), plus one request through
# the provider it made. scripts/test.sh runs it; it exits 0 only if every command succeeded, the
# request was approved and the Python client's request reached the hub.
#
# What differs from a newcomer's machine, and why:
# - the hub listens on a free port, not 8000 (a hub may already run there): `127.0.0.1:8000` in
#   the blocks becomes that port, and GHL_ADDR tells `ghl serve`;
# - the database is a fresh file in a temporary folder (GHL_DB), not ./ghl.db in the checkout;
# - `cargo install` installs into that folder (CARGO_INSTALL_ROOT, put first on PATH) and builds
#   with `--debug` in the repository's target/ (so it reuses the test build instead of spending
#   minutes on a release build); the path, `--locked` and the package are the README's.
# Everything the block started (the hub) is stopped afterwards; a run is bounded to 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# fenced ANCHOR LANGUAGE: the lines of README.md's LANGUAGE code blocks inside the anchor.
fenced() {
  awk -v anchor="$1" -v lang="$2" '
    $0 ~ "<!-- ANCHOR_END: " anchor " -->" { on = 0 }
    on && /^```/ { inside = !inside && ($0 == "```" lang); next }
    on && inside { print }
    $0 ~ "<!-- ANCHOR: " anchor " -->" { on = 1 }' README.md
}
block=$(fenced quickstart sh)
python_env=$(fenced python sh)
python_code=$(fenced python python)
if [ -z "$block" ] || [ -z "$python_env" ] || [ -z "$python_code" ]; then
  echo "quickstart: README.md lacks the quick start or the Python client's blocks" >&2
  exit 1
fi

work=$(mktemp -d)
group=""
cleanup() {
  [ -n "$group" ] && kill -TERM -- "-$group" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
on_port() { sed "s/127\.0\.0\.1:8000/127.0.0.1:$port/g"; }
printf '%s\n' "$block" | on_port >"$work/quickstart.sh"
printf '%s\n' "$python_env" | on_port >"$work/python.sh"
{
  printf '%s\n' "$python_code"
  cat <<'PY'

import asyncio
from gohumanloop import HumanLoopType
created = asyncio.run(provider.async_request_humanloop(
    task_id="quickstart", conversation_id="quickstart-python",
    loop_type=HumanLoopType.INFORMATION, context={"message": "Hello from the Python client"}))
print("python client:", created.status, flush=True)
# The original client's poll thread runs until the request is answered; this check needs only the
# create, so it ends the process here.
import os
os._exit(0)
PY
} >"$work/python.py"

# Runs the blocks in a session of their own, so that whatever they leave running can be stopped.
cat >"$work/run.sh" <<'SH'
echo $$ >"$QS_WORK/group"
set -euo pipefail
cargo() {
  if [ "${1:-}" = install ]; then command cargo "$@" --debug; else command cargo "$@"; fi
}
. "$QS_WORK/quickstart.sh"
# The hub is still running: the README's Python client part.
. "$QS_WORK/python.sh"
"$QS_PYTHON" "$QS_WORK/python.py"
ghl inbox
SH

echo "quickstart: running README.md's quick start (hub on 127.0.0.1:$port, database in $work)"
status=0
env -u GHL_HUB -u GHL_API_KEY -u GHL_DB -u GHL_ADDR -u GHL_LOG \
  QS_WORK="$work" QS_PYTHON="${GHL_TEST_PYTHON:-python3}" \
  GHL_ADDR="127.0.0.1:$port" GHL_DB="$work/ghl.db" \
  CARGO_INSTALL_ROOT="$work/cargo" CARGO_TARGET_DIR="$repo/target" PATH="$work/cargo/bin:$PATH" \
  timeout --kill-after=5 300 setsid --wait bash "$work/run.sh" </dev/null >"$work/out.txt" 2>&1 ||
  status=$?
group=$(cat "$work/group" 2>/dev/null || true)

fail() {
  echo "quickstart: $*" >&2
  echo "----- what the quick start printed -----" >&2
  cat "$work/out.txt" >&2
  exit 1
}
[ "$status" -eq 0 ] || fail "a command failed (exit code $status)"
grep -qx "go ahead" "$work/out.txt" || fail "the agent's 'ghl ask' did not print the answer 'go ahead'"
grep -q " is now approved$" "$work/out.txt" || fail "'ghl respond' did not record the approval"
grep -q "Hello from the Python client" "$work/out.txt" ||
  fail "the request made through the README's Python snippet is not in the inbox"
ghl="$work/cargo/bin/ghl"
[ -x "$ghl" ] || fail "cargo install did not install ghl into $work/cargo/bin"
"$ghl" users list --db "$work/ghl.db" | awk '$2 == "admin" && $3 == "admin" { found = 1 } END { exit !found }' ||
  fail "the inbox account 'admin' (role admin) is missing"
"$ghl" audit verify --db "$work/ghl.db" >/dev/null || fail "the audit chain does not verify"
sed 's/^/  | /' "$work/out.txt"
echo "quickstart: every command worked; the request was approved; the Python client's request arrived"
