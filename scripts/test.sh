#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs and starts what the tests need, then runs
# every check and test. `.ci/run` calls this same script.
#
# Usage: bash scripts/test.sh [CARGO TEST ARGS…]
#   without arguments: cargo fmt --check, cargo clippy, every cargo test (the hub's tests on
#     SQLite), then the gohumanloop-hub package's test binaries once more, the same ones (no second
#     build), with GHL_TEST_DATABASE=postgres: every hub the tests start, and the store contract,
#     on the PostgreSQL server below, a schema per test; then the README's quick start
#     (scripts/quickstart.sh), the user guide's build (mdbook), and a check that a failing test
#     still gives the closing line and a non-zero exit;
#   with arguments: the same set-up, then only `cargo test ARGS` (e.g. `-p ghl --test hub_cli`),
#     once, on the database GHL_TEST_DATABASE picks (sqlite, the default, or postgres), e.g.
#     `GHL_TEST_DATABASE=postgres bash scripts/test.sh -p gohumanloop-hub --test original_api`.
# It always ends with one line, `all tests: N passed, M failed, K skipped` (cargo's tests, plus one
# for each check above), also when something failed, and then exits non-zero. A test that skips
# (a service it needs is missing: it prints `SKIPPED: <test>: <why>` through the shared test kit,
# crates/gohumanloop-testkit, on a line the harness always shows) counts as skipped, not passed,
# and any skip fails the run: this script starts every service the suite needs, so a skip here
# is a broken set-up, never a green light. It stops the mail and
# database servers it started. GHL_TEST_SKIP_SETUP=1 skips installing and starting the services
# (already running; their env files are still read).
#
# Needs: the Rust toolchain (cargo, rustfmt, clippy) and python3 with venv. It installs:
# - a Python venv (target/py-venv) with the original client, gohumanloop==0.0.15, which the
#   compatibility tests run against `ghl serve` (GHL_TEST_PYTHON points them at it), and
#   standardwebhooks==1.1.0, the reference implementation the webhook tests check our
#   signatures with, and the chat platforms' own SDKs (wechatpy==1.8.18 with pycryptodome,
#   its cipher; lark-oapi==1.7.5; slack_sdk==3.48.0), the independent implementations the
#   chat channels' crypto and signatures are checked against, and the official MCP SDK
#   (mcp==2.3.0), the MCP client (and a misbehaving upstream server) of the MCP tests; and the
#   Python adapters' frameworks (langgraph, langchain, langgraph-checkpoint-sqlite), maturin, and
#   this tree's own package gohumanloop_rs, built with maturin (a dev build) and installed;
# - a second venv (target/py-venv-crewai) with crewai and gohumanloop_rs, for the CrewAI adapter
#   tests (GHL_TEST_CREWAI_PYTHON): CrewAI pins mcp<2 and an older pydantic, which clash with the
#   MCP SDK above;
# - the reference MCP filesystem server (npm @modelcontextprotocol/server-filesystem, into
#   target/mcp-npm; Node.js from Debian if missing), the upstream of the MCP gateway tests;
# - Debian's chromium and chromium-driver (and a CJK font, for the Chinese screenshots), which
#   the web inbox's browser tests drive; screenshots land in test-artifacts/screenshots/;
# - Debian's zsh and fish, which load the completion scripts of `ghl completions`;
# - Debian's strace, through which the durability test sees that every reply waits for its fsync;
# - Debian's wrk, whose scripts (scripts/bench/*.lua) the benchmark's self-checks run;
# - mdbook (cargo install, into ~/.cargo/bin), which builds the user guide in docs/;
# - Debian's postfix and dovecot, started by scripts/mail-server.sh as their own instances on
#   127.0.0.1 (SMTP 10587/10465, IMAP 10143/10993, test CA in target/mail-server/tls), which the
#   email provider's tests send to and read from; its GHL_TEST_MAIL_* settings are exported;
# - Debian's PostgreSQL 15, started by scripts/pg-server.sh as its own instance on 127.0.0.1:15432
#   (data in target/pg-server, fsync off, TLS with a test CA), which the PostgreSQL store's tests
#   and the hub tests' second pass use; its GHL_TEST_POSTGRES URL and GHL_TEST_POSTGRES_CA are
#   exported, and GHL_TEST_PG_CTL, with which the multi-node tests restart it under load.
# The hub tests use real SQLite files in temporary folders (first pass) and schemas of their own on
# the PostgreSQL server (second pass); the terminal tests use pipes and a pseudo-terminal the
# kernel gives.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${CARGO_BUILD_JOBS:-2}"
# A clean clone builds once: incremental caches would only cost disk (gigabytes) and time there.
if [ "${CI:-}" = true ] && [ -z "${CARGO_INCREMENTAL:-}" ]; then
  export CARGO_INCREMENTAL=0
fi
mdbook_version=0.5.4
mcp_python_version=2.3.0
mcp_filesystem_version=2026.8.31
langgraph_version=1.2.24
langchain_version=1.5.2
langgraph_sqlite_version=3.1.2
maturin_version=1.16.0
crewai_version=1.15.30
passed=0
failed=0
skipped=0
failures=()
mail_started=false
pg_started=false
logs=$(mktemp -d)

# The closing line, whatever happened before: the last thing this script prints.
finish() {
  local status=$?
  if $mail_started; then
    bash scripts/mail-server.sh stop >/dev/null 2>&1 || echo "could not stop the test mail server"
  fi
  if $pg_started; then
    bash scripts/pg-server.sh stop >/dev/null 2>&1 || echo "could not stop the test PostgreSQL server"
  fi
  if [ "$status" -ne 0 ] && [ "${#failures[@]}" -eq 0 ]; then
    failures+=("set-up (exit code $status)")
    failed=$((failed + 1))
  fi
  rm -rf "$logs"
  echo
  if [ "${#failures[@]}" -gt 0 ]; then
    printf 'FAILED: %s\n' "${failures[@]}"
  fi
  echo "all tests: $passed passed, $failed failed, $skipped skipped"
  if [ "$failed" -gt 0 ] || [ "$skipped" -gt 0 ]; then exit 1; fi
  exit "$status"
}
trap finish EXIT

# check NAME COMMAND…: runs one check and counts it as one test.
check() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

# count_results NAME FILE: adds the counts of the test output in FILE to the totals — cargo's
# passed and failed, less the tests that reported a skip (see the header), which count as
# skipped and are named in the failures. Sets `f` to the failed count.
count_results() {
  local name=$1 out=$2 counts p s
  counts=$(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$out")
  read -r p f <<<"$counts"
  s=$(grep -c 'SKIPPED: ' "$out" || true)
  passed=$((passed + p - s))
  failed=$((failed + f))
  skipped=$((skipped + s))
  if [ "$s" -gt 0 ]; then
    failures+=("$name: $s skipped (a service is missing): $(grep -o 'SKIPPED: [^:]*' "$out" | sort -u | cut -c10- | tr '\n' ' ')")
  fi
}

# cargo_tests ARGS…: `cargo test` (every test binary, even after a failure) with cargo's counts
# added to the totals; a build that fails counts as one failure.
cargo_tests() {
  local out="$logs/cargo-test.txt" status=0 f
  echo "== cargo test $*"
  cargo test -j "$jobs" --no-fail-fast "$@" 2>&1 | tee "$out" || status=$?
  count_results "cargo test" "$out"
  if [ "$f" -gt 0 ]; then
    failures+=("cargo test: $f failed (search the output above for 'FAILED' and 'panicked')")
  elif [ "$status" -ne 0 ]; then
    failed=$((failed + 1))
    failures+=("cargo test exited with code $status before any test failed (a build error?)")
  fi
}

# The gohumanloop-hub package's test binaries (its unit tests and every integration test), as
# `cargo test --workspace` built them, run again with GHL_TEST_DATABASE=postgres; their counts are
# added to the totals as cargo_tests adds them, and a binary that fails is named in the failures.
hub_tests_on_postgres() {
  local json="$logs/no-run.json" list="$logs/hub-tests.txt" out status name exe f dir
  echo "== the hub's tests again, on PostgreSQL (GHL_TEST_DATABASE=postgres, the same binaries)"
  if [ -z "${GHL_TEST_POSTGRES:-}" ]; then
    failed=$((failed + 1))
    failures+=("hub tests on PostgreSQL: GHL_TEST_POSTGRES is not set (scripts/pg-server.sh start)")
    return
  fi
  # Built already by the first pass: this only lists the executables. First line: the package's
  # folder (cargo runs its tests there); then a name and a path, tab-separated, for each binary.
  if ! cargo test -j "$jobs" --workspace --no-run --message-format=json >"$json" 2>"$logs/no-run.err" ||
    ! cargo metadata --format-version 1 --no-deps >"$logs/metadata.json" 2>>"$logs/no-run.err" ||
    ! python3 - "$logs/metadata.json" "$json" >"$list" 2>>"$logs/no-run.err" <<'PY'
import json, os, sys

meta = json.load(open(sys.argv[1]))
(hub,) = [p for p in meta["packages"] if p["name"] == "gohumanloop-hub"]
print(os.path.dirname(hub["manifest_path"]))
for line in open(sys.argv[2]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if (m.get("reason") == "compiler-artifact" and m.get("package_id") == hub["id"]
            and m.get("profile", {}).get("test") and m.get("executable")):
        print(f"{m['target']['kind'][0]} {m['target']['name']}\t{m['executable']}")
PY
  then
    cat "$logs/no-run.err"
    failed=$((failed + 1))
    failures+=("hub tests on PostgreSQL: could not list the hub's test binaries")
    return
  fi
  if [ "$(wc -l <"$list")" -lt 2 ]; then
    failed=$((failed + 1))
    failures+=("hub tests on PostgreSQL: no test binaries of gohumanloop-hub found")
    return
  fi
  dir=$(head -n 1 "$list")
  while IFS=$'\t' read -r name exe; do
    out="$logs/postgres-test.txt"
    echo "     Running $name on PostgreSQL ($exe)"
    status=0
    (cd "$dir" && CARGO_MANIFEST_DIR="$dir" GHL_TEST_DATABASE=postgres "$exe") 2>&1 | tee "$out" ||
      status=$?
    count_results "$name on PostgreSQL" "$out"
    if [ "$f" -gt 0 ]; then
      failures+=("$name on PostgreSQL: $f failed (search the output above for 'FAILED' and 'panicked')")
    elif [ "$status" -ne 0 ]; then
      failed=$((failed + 1))
      failures+=("$name on PostgreSQL exited with code $status before any test failed")
    fi
  done < <(tail -n +2 "$list")
}

# The closing line and exit code of this script when a test fails, checked on a run of one test
# that fails on purpose (examples/tests/run_examples.rs).
summary_on_failure() {
  local out="$logs/on-purpose.txt" status=0
  GHL_TEST_FAIL_ON_PURPOSE=1 GHL_TEST_SKIP_SETUP=1 bash scripts/test.sh \
    -p gohumanloop-examples --test run_examples fails_on_purpose_when_asked >"$out" 2>&1 ||
    status=$?
  if [ "$status" -ne 0 ] && [ "$(tail -n 1 "$out")" = "all tests: 0 passed, 1 failed, 0 skipped" ]; then
    echo "a failing test: exit code $status, closing line '$(tail -n 1 "$out")'"
  else
    echo "a failing test gave exit code $status and this output:"
    cat "$out"
    return 1
  fi
}

# The same for a test that reports a skip (examples/tests/run_examples.rs): counted as skipped,
# named, and the run fails.
summary_on_skip() {
  local out="$logs/skip-on-purpose.txt" status=0
  GHL_TEST_SKIP_ON_PURPOSE=1 GHL_TEST_SKIP_SETUP=1 bash scripts/test.sh \
    -p gohumanloop-examples --test run_examples skips_on_purpose_when_asked >"$out" 2>&1 ||
    status=$?
  if [ "$status" -ne 0 ] && [ "$(tail -n 1 "$out")" = "all tests: 0 passed, 0 failed, 1 skipped" ] &&
    grep -q "FAILED: cargo test: 1 skipped (a service is missing): skips_on_purpose_when_asked" "$out"; then
    echo "a skipping test: exit code $status, closing line '$(tail -n 1 "$out")'"
  else
    echo "a skipping test gave exit code $status and this output:"
    cat "$out"
    return 1
  fi
}

setup() {
  echo "== Python venv (gohumanloop==0.0.15, standardwebhooks==1.1.0, wechatpy, lark-oapi, slack_sdk, mcp==$mcp_python_version)"
  local venv=target/py-venv
  if ! "$venv/bin/python" -c "import gohumanloop, standardwebhooks, wechatpy, lark_oapi, slack_sdk" 2>/dev/null ||
    ! [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" = "$mcp_python_version" ]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
      # Debian splits venv support out of python3.
      if command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      fi
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check gohumanloop==0.0.15 \
      standardwebhooks==1.1.0 \
      wechatpy==1.8.18 pycryptodome lark-oapi==1.7.5 slack_sdk==3.48.0 mcp=="$mcp_python_version"
  fi

  echo "== LangGraph $langgraph_version, LangChain $langchain_version and maturin $maturin_version (the Python adapters)"
  if ! [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("langgraph"), m.version("langchain"), m.version("langgraph-checkpoint-sqlite"), m.version("maturin"))' 2>/dev/null)" = \
    "$langgraph_version $langchain_version $langgraph_sqlite_version $maturin_version" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check langgraph=="$langgraph_version" \
      langchain=="$langchain_version" langgraph-checkpoint-sqlite=="$langgraph_sqlite_version" \
      maturin=="$maturin_version"
  fi

  echo "== The Python package gohumanloop_rs (PyO3 + maturin, a dev build of this tree)"
  rm -rf target/wheels
  "$venv/bin/maturin" build --quiet --profile dev -j "$jobs" -m crates/gohumanloop-py/Cargo.toml \
    -i "$venv/bin/python" -o target/wheels
  "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/gohumanloop_rs-*.whl

  echo "== CrewAI $crewai_version and gohumanloop_rs in target/py-venv-crewai (the CrewAI adapter)"
  local crewai_venv=target/py-venv-crewai
  if ! [ "$("$crewai_venv/bin/python" -c 'import importlib.metadata as m; print(m.version("crewai"))' 2>/dev/null)" = "$crewai_version" ]; then
    python3 -m venv "$crewai_venv"
    "$crewai_venv/bin/pip" install --quiet --disable-pip-version-check crewai=="$crewai_version"
  fi
  "$crewai_venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/gohumanloop_rs-*.whl

  echo "== The reference MCP filesystem server (npm, for the MCP gateway tests)"
  local fs_server=target/mcp-npm/node_modules/.bin/mcp-server-filesystem
  if ! [ -x "$fs_server" ] ||
    ! grep -q "\"version\": \"$mcp_filesystem_version\"" \
      target/mcp-npm/node_modules/@modelcontextprotocol/server-filesystem/package.json 2>/dev/null; then
    if ! command -v npm >/dev/null && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    mkdir -p target/mcp-npm
    npm install --prefix target/mcp-npm --no-audit --no-fund --loglevel=error \
      "@modelcontextprotocol/server-filesystem@$mcp_filesystem_version"
  fi

  echo "== Chromium and chromedriver (web inbox browser tests), zsh and fish (completions), strace (the fsync test), wrk (the benchmark's own checks)"
  if ! [ -x /usr/lib/chromium/chromium ] || ! [ -x /usr/bin/chromedriver ] ||
    ! fc-list 2>/dev/null | grep -qi wqy || ! command -v zsh >/dev/null || ! command -v fish >/dev/null ||
    ! command -v strace >/dev/null || ! command -v wrk >/dev/null; then
    if command -v apt-get >/dev/null; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-wqy-microhei zsh fish strace wrk >/dev/null
    fi
  fi
  # The browser itself: Debian's /usr/bin/chromium wrapper prints shell errors on some machines.
  # Without it the browser tests would only skip: the set-up fails instead.
  /usr/lib/chromium/chromium --version

  echo "== mdbook $mdbook_version (the user guide)"
  local mdbook="${CARGO_HOME:-$HOME/.cargo}/bin/mdbook"
  if ! [ "$("$mdbook" --version 2>/dev/null)" = "mdbook v$mdbook_version" ]; then
    cargo install --quiet --locked -j "$jobs" mdbook --version "$mdbook_version" \
      --no-default-features --features search
  fi

  echo "== Mail server (Postfix + Dovecot on loopback)"
  mail_started=true
  bash scripts/mail-server.sh start

  echo "== PostgreSQL 15 (loopback, the PostgreSQL store's tests and the hub tests' second pass)"
  pg_started=true
  bash scripts/pg-server.sh start
}

if [ "${GHL_TEST_SKIP_SETUP:-0}" != 1 ]; then
  setup
fi
if [ -f "${GHL_MAIL_DIR:-target/mail-server}/env" ]; then
  set -a
  # shellcheck disable=SC1091
  . "${GHL_MAIL_DIR:-target/mail-server}/env"
  set +a
fi
if [ -f "${GHL_PG_DIR:-target/pg-server}/env" ]; then
  set -a
  # shellcheck disable=SC1091
  . "${GHL_PG_DIR:-target/pg-server}/env"
  set +a
  # How the PostgreSQL restart test (crates/ghl/tests/postgres_nodes.rs) stops and starts the
  # server: `$GHL_TEST_PG_CTL stop`, `… start`, its test data kept.
  export GHL_TEST_PG_CTL="GHL_PG_KEEP=1 bash $PWD/scripts/pg-server.sh"
fi
if [ -x target/py-venv/bin/python ]; then
  export GHL_TEST_PYTHON="$PWD/target/py-venv/bin/python"
fi
if [ -x target/py-venv-crewai/bin/python ]; then
  export GHL_TEST_CREWAI_PYTHON="$PWD/target/py-venv-crewai/bin/python"
fi
if [ -x target/mcp-npm/node_modules/.bin/mcp-server-filesystem ]; then
  export GHL_TEST_MCP_FILESYSTEM="$PWD/target/mcp-npm/node_modules/.bin/mcp-server-filesystem"
fi

set +e
if [ $# -gt 0 ]; then
  cargo_tests "$@"
  exit 0
fi
check "cargo fmt --check" cargo fmt --all -- --check
check "cargo clippy (warnings are errors)" cargo clippy -j "$jobs" --workspace --all-targets -- -D warnings
cargo_tests --workspace
hub_tests_on_postgres
check "the README's quick start, as pasted" bash scripts/quickstart.sh
check "the user guide builds (mdbook, warnings are errors)" bash scripts/build-guide.sh
check "a failing test still gives the closing line and a non-zero exit" summary_on_failure
check "a skipping test is counted as skipped and fails the run" summary_on_skip
