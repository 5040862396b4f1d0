#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs and starts what the tests need, then runs
# every check and test. `.ci/run` calls this same script.
#
# Needs: the Rust toolchain (cargo, rustfmt, clippy) and python3 with venv. It installs:
# - a Python venv (target/py-venv) with the original client, gohumanloop==0.0.15, which the
#   compatibility tests run against `ghl serve` (GHL_TEST_PYTHON points them at it);
# - Debian's chromium and chromium-driver (and a CJK font, for the Chinese screenshots), which
#   the web inbox's browser tests drive; screenshots land in test-artifacts/screenshots/.
# - Debian's postfix and dovecot, started by scripts/mail-server.sh as their own instances on
#   127.0.0.1 (SMTP 10587/10465, IMAP 10143/10993, test CA in target/mail-server/tls), which the
#   email provider's tests send to and read from; its GHL_TEST_MAIL_* settings are exported.
# The hub tests use real SQLite files in temporary folders; the terminal tests use pipes and a
# pseudo-terminal the kernel gives.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${CARGO_BUILD_JOBS:-2}"

echo "== Python client venv (gohumanloop==0.0.15)"
venv=target/py-venv
if ! "$venv/bin/python" -c "import gohumanloop" 2>/dev/null; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian splits venv support out of python3.
    if command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check gohumanloop==0.0.15
fi
export GHL_TEST_PYTHON="$PWD/$venv/bin/python"

echo "== Chromium and chromedriver (web inbox browser tests)"
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] || ! fc-list 2>/dev/null | grep -qi wqy; then
  if command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver fonts-wqy-microhei >/dev/null
  fi
fi
/usr/bin/chromium --version || echo "chromium missing: browser tests will fail under CI=true"

echo "== Mail server (Postfix + Dovecot on loopback)"
bash scripts/mail-server.sh start
set -a
# shellcheck disable=SC1091
. "${GHL_MAIL_DIR:-target/mail-server}/env"
set +a

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
