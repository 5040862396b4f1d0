#!/usr/bin/env bash
# A real PostgreSQL server on loopback for the test suite: Debian's PostgreSQL 15, run as its own
# instance (its own data folder, port and socket), so it never touches (or clashes with) a
# system-wide cluster.
#
# Usage: scripts/pg-server.sh start|stop|env
#   start  installs the Debian package if missing, makes the data folder with initdb if absent
#          (a data folder left by an earlier run is reused), starts the server unless it already
#          runs, waits until it accepts connections (pg_isready), and when it was not running
#          drops what earlier test runs left in it (the database postgres is made anew, databases
#          named t_… and roles named node_… are dropped); then writes STATE/env (KEY=VALUE lines)
#          and prints it. Starting it when it already runs is fine: it is left as it is (and its
#          test data too).
#   stop   stops it (the data folder stays).
#   env    prints STATE/env when the server answers; fails otherwise.
#
# What the tests get: GHL_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres, the
# superuser `postgres` with no password (--auth=trust), on 127.0.0.1 only; the unix socket is in
# the data folder, not /var/run/postgresql. Made for throwaway test data: fsync=off,
# synchronous_commit=off, full_page_writes=off (a crash may lose it), max_connections=500 (every
# hub the tests start has a pool of its own). TLS is on, with a certificate for 127.0.0.1 from a
# test CA made once for this STATE: GHL_TEST_POSTGRES_CA is the CA's certificate (for
# `sslmode=verify-full&sslrootcert=…`). Plain connections are still accepted; a client on the
# default `sslmode=prefer` (sqlx's, hence every hub's of the suite) gets TLS, as with most
# managed databases.
#
# Where things are: STATE (default target/pg-server in the repository) holds env; the data
# folder and the server's log are in STATE/pg, owned by the `postgres` user, which `initdb` and
# `pg_ctl` run as (both refuse root). The server runs as `postgres` and must walk down to its
# data folder: when a folder above STATE is not searchable by other users, STATE/pg would not
# do, and /tmp/ghl-pg-server-<checksum of STATE> is used instead (one per checkout).
#
# Env: GHL_PG_DIR (STATE), GHL_PG_PORT (default 15432), GHL_PG_BIN (the folder of initdb,
#      pg_ctl…; default the newest /usr/lib/postgresql/*/bin), GHL_PG_KEEP=1 (a start keeps
#      the test data: what `GHL_TEST_PG_CTL`, which scripts/test.sh sets, restarts with).
# Needs root (apt-get, runuser); re-runs itself with `sudo -n` when not root and sudo allows it.
set -euo pipefail

die() {
  echo "pg-server: error: $*" >&2
  exit 1
}

cmd="${1:-}"
case "$cmd" in
  start | stop | env) ;;
  *) die "usage: $0 start|stop|env" ;;
esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
state="${GHL_PG_DIR:-$repo/target/pg-server}"
case "$state" in
  /*) ;;
  *) state="$PWD/$state" ;;
esac
state="${state%/}"
port="${GHL_PG_PORT:-15432}"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "not a port number: '$port'"
host=127.0.0.1

if [ "$cmd" = env ]; then
  # Reading needs no root.
  [ -f "$state/env" ] || die "not running (no $state/env): run $0 start"
  url="$(sed -n 's/^GHL_TEST_POSTGRES=//p' "$state/env")"
  p="${url##*:}"
  p="${p%%/*}"
  (: <>"/dev/tcp/$host/$p") 2>/dev/null || die "nothing listens on $host:$p: run $0 start"
  cat "$state/env"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    exec sudo -n env GHL_PG_DIR="$state" GHL_PG_PORT="$port" \
      ${GHL_PG_BIN:+GHL_PG_BIN="$GHL_PG_BIN"} bash "$0" "$@"
  fi
  die "needs root (to install the package and run the server as the postgres user); run it as root or with sudo"
fi

# pg_ctl passes the server's options through a shell: keep the paths simple.
case "$state" in
  *[[:space:]\"\'\$\\\`]*) die "state folder path must not contain spaces, quotes, backslashes or \$: $state" ;;
esac

# True when every folder from $1 up to / is searchable by other users (the postgres user).
searchable() {
  local d="$1"
  while [ "$d" != / ]; do
    [ "$(($(stat -c '%#a' "$d") & 01))" -ne 0 ] || return 1
    d="$(dirname "$d")"
  done
}

mkdir -p "$state"
chmod 755 "$state"
if searchable "$state"; then
  pgroot="$state/pg"
else
  pgroot="/tmp/ghl-pg-server-$(printf '%s' "$state" | cksum | cut -d' ' -f1)"
fi
data="$pgroot/data"
log="$pgroot/server.log"

# The PostgreSQL programs: GHL_PG_BIN, else the newest installed major version.
find_bin() {
  if [ -n "${GHL_PG_BIN:-}" ]; then
    echo "$GHL_PG_BIN"
    return
  fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

# As the postgres user, from a folder it can read (initdb wants to know where it is).
as_postgres() {
  (cd / && runuser -u postgres -- "$@")
}

# True while the server of $data runs (pg_ctl refuses root, hence as postgres).
running() {
  [ -f "$data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

port_open() {
  (: <>"/dev/tcp/$host/$1") 2>/dev/null
}

bin="$(find_bin || true)"

if [ "$cmd" = stop ]; then
  if [ -n "$bin" ] && running; then
    as_postgres "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null ||
      die "could not stop the server of $data (log $log)"
  fi
  rm -f "$state/env"
  echo "pg-server: stopped (data in $data)"
  exit 0
fi

began="$(date +%s%N)"

# --- install ---------------------------------------------------------------------------------
if [ -z "$bin" ]; then
  [ -z "${GHL_PG_BIN:-}" ] || die "GHL_PG_BIN=$GHL_PG_BIN has no initdb"
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and there is no apt-get to install it"
  apt-get update -qq || die "apt-get update failed"
  # Debian 12 has postgresql-15; elsewhere the distribution's default major version.
  pkg=postgresql-15
  apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]' || pkg=postgresql
  echo "pg-server: installing $pkg" >&2
  # --no-install-recommends; Debian's policy-rc.d in containers keeps the system cluster down,
  # and it would not clash anyway (port 5432, /var/lib/postgresql).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" \
    >"$state/apt.log" 2>&1 || { cat "$state/apt.log" >&2; die "apt-get install $pkg failed (log above)"; }
  rm -f "$state/apt.log"
  bin="$(find_bin || true)"
  [ -n "$bin" ] || die "no /usr/lib/postgresql/*/bin/initdb after installing $pkg"
fi
id postgres >/dev/null 2>&1 || die "no postgres user (the PostgreSQL package makes it)"
version="$("$bin/postgres" --version | sed -n 's/.* \([0-9][0-9]*\)\..*/\1/p')"

# --- data folder -----------------------------------------------------------------------------
mkdir -p "$pgroot"
chown postgres: "$pgroot"
chmod 700 "$pgroot"
if [ -f "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$version" ]; then
  # Made by another major version: test data only, start over.
  running && as_postgres "$bin/pg_ctl" stop -D "$data" -m immediate -w >/dev/null 2>&1 || true
  echo "pg-server: $data is from PostgreSQL $(cat "$data/PG_VERSION"), not $version: making it anew" >&2
  rm -rf "$data"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  rm -rf "$data"
  as_postgres "$bin/initdb" -D "$data" --auth=trust -U postgres --encoding=UTF8 --no-locale \
    --no-instructions >"$pgroot/initdb.log" 2>&1 ||
    { cat "$pgroot/initdb.log" >&2; die "initdb failed (log above)"; }
fi

# --- TLS -------------------------------------------------------------------------------------
# A test CA of its own and a server certificate for 127.0.0.1 signed by it, made once: the
# server accepts TLS (and plain connections, as before), so that a test can complete a verified
# handshake with `sslmode=verify-full&sslrootcert=STATE/tls-ca.crt`. The CA's key is thrown
# away once it has signed; the server's key is the postgres user's only.
ca="$state/tls-ca.crt"
if [ ! -f "$ca" ] || [ ! -f "$pgroot/server.crt" ] || [ ! -f "$pgroot/server.key" ]; then
  command -v openssl >/dev/null || die "openssl is needed to make the test server's TLS certificate"
  tls="$(mktemp -d)"
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=gohumanloop test CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
        -keyout "$tls/server.key" -out "$tls/server.csr" &&
      printf 'subjectAltName=IP:%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
        "$host" >"$tls/server.ext" &&
      openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 3650 -extfile "$tls/server.ext" -out "$tls/server.crt"
  } >"$tls/openssl.log" 2>&1 || { cat "$tls/openssl.log" >&2; rm -rf "$tls"; die "could not make the TLS certificates (log above)"; }
  install -o postgres -g postgres -m 600 "$tls/server.key" "$pgroot/server.key"
  install -o postgres -g postgres -m 644 "$tls/server.crt" "$pgroot/server.crt"
  install -m 644 "$tls/ca.crt" "$ca"
  rm -rf "$tls"
fi

# --- start -----------------------------------------------------------------------------------
fresh=true
if running; then
  # postmaster.pid's fourth line is the port it listens on.
  # One started by an earlier version of this script may run without TLS: restarted.
  if [ "$(sed -n 4p "$data/postmaster.pid")" = "$port" ] &&
    "$bin/pg_isready" -q -h "$host" -p "$port" -U postgres -d postgres &&
    [ "$("$bin/psql" -X -At -h "$host" -p "$port" -U postgres -d postgres -c 'SHOW ssl' 2>/dev/null)" = on ]; then
    fresh=false
  else
    echo "pg-server: restarting the server of $data on port $port" >&2
    as_postgres "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null ||
      die "could not stop the server of $data (log $log)"
  fi
fi
if $fresh; then
  if port_open "$port"; then
    who="$(ss -ltnpH "sport = :$port" 2>/dev/null || true)"
    die "port $port on $host is already in use by another process${who:+: $who}
  (another checkout's pg-server? stop it, or pick another port with GHL_PG_PORT)"
  fi
  : >"$log"
  chown postgres: "$log"
  # -W: no waiting here; readiness is pg_isready's below.
  as_postgres "$bin/pg_ctl" start -W -D "$data" -l "$log" -o "-c listen_addresses=$host -p $port \
-c unix_socket_directories=$data -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c max_connections=500 -c ssl=on -c ssl_cert_file=$pgroot/server.crt -c ssl_key_file=$pgroot/server.key" >/dev/null || { tail -n 20 "$log" >&2; die "pg_ctl start failed (log $log)"; }
  ready=false
  for _ in $(seq 300); do
    if "$bin/pg_isready" -q -h "$host" -p "$port" -U postgres -d postgres; then
      ready=true
      break
    fi
    # Gone already (a bad setting, a taken port): no point in waiting on. Not every FATAL
    # line means that: each probe that comes while the server starts up is refused with one
    # ("the database system is starting up"), most often on a loaded machine.
    if [ -f "$log" ] && awk '/FATAL/ && !/is starting up|not yet accepting connections/ { bad = 1 }
        END { exit !bad }' "$log"; then
      break
    fi
    sleep 0.1
  done
  $ready || { tail -n 20 "$log" >&2; die "the server does not answer on $host:$port (it failed, or 300 probes 0.1 s apart went unanswered; log $log)"; }

  # What earlier test runs left: each test makes a schema of its own in the database postgres
  # (made anew here, faster than dropping hundreds of schemas) or a database t_…. Kept with
  # GHL_PG_KEEP=1: a test that restarts the server under its own data (GHL_TEST_PG_CTL).
  [ "${GHL_PG_KEEP:-0}" = 1 ] || "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d template1 >/dev/null <<'EOF' ||
SET client_min_messages = warning;
DROP DATABASE IF EXISTS postgres WITH (FORCE);
CREATE DATABASE postgres;
SELECT format('DROP DATABASE %I WITH (FORCE)', datname) FROM pg_database WHERE datname LIKE 't\_%' \gexec
SELECT format('DROP ROLE %I', rolname) FROM pg_roles WHERE rolname LIKE 'node\_%' \gexec
EOF
    die "could not drop the earlier test runs' schemas, databases and roles"
fi

cat >"$state/env.tmp" <<EOF
GHL_TEST_POSTGRES=postgres://postgres@$host:$port/postgres
GHL_TEST_POSTGRES_CA=$ca
EOF
chmod 644 "$state/env.tmp"
mv "$state/env.tmp" "$state/env"
ms=$((($(date +%s%N) - began) / 1000000))
if $fresh; then
  echo "pg-server: PostgreSQL $version ready on $host:$port in ${ms} ms (data $data)" >&2
else
  echo "pg-server: already running on $host:$port (data $data)" >&2
fi
cat "$state/env"
