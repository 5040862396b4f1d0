#!/usr/bin/env bash
# A real mail server on loopback for the test suite: Debian's Postfix (SMTP) and Dovecot (IMAP),
# each started as its own instance with its own config, data and logs under a state folder, so
# they never touch (or clash with) a system-wide mail server.
#
# Usage: scripts/mail-server.sh start|stop
#   start  installs the Debian packages if missing, makes a test CA and a server certificate if
#          absent, writes the configs, stops a previous instance of this script, starts Dovecot
#          and Postfix, waits until every port accepts connections, then writes STATE/env
#          (KEY=VALUE lines) and prints it.
#   stop   stops both instances.
#
# What the tests get:
# - domain ghl.test: any address there (e.g. agent-<uuid>@ghl.test) has a mailbox, created on
#   first delivery or login; no accounts to create;
# - any user name logs in (IMAP and SMTP AUTH) with the one password ghl-test-password;
# - SMTP 10587 (plain, STARTTLS offered, AUTH optional: unauthenticated clients may send to
#   ghl.test), SMTPS 10465 (implicit TLS), IMAP 10143 (STARTTLS offered), IMAPS 10993
#   (implicit TLS); Postfix delivers to Dovecot over LMTP on 10024;
# - TLS certificate for localhost and 127.0.0.1, signed by a test CA (STATE/tls/ca.pem) that
#   the tests trust (rustls rejects a self-signed certificate used as the server's).
# Everything listens on 127.0.0.1 only; mail to any other domain is refused at RCPT TO (550 "no
# mail leaves this machine"), even from an authenticated client: nothing is ever relayed.
# Postfix runs with `postfix -c STATE/postfix/etc` as root, which needs no change to
# /etc/postfix/main.cf (alternate_config_directories matters only to non-root postqueue/postdrop).
#
# Env: GHL_MAIL_DIR (state folder, default target/mail-server in the repository),
#      GHL_MAIL_SMTP_PORT, GHL_MAIL_SMTPS_PORT, GHL_MAIL_IMAP_PORT, GHL_MAIL_IMAPS_PORT,
#      GHL_MAIL_LMTP_PORT (defaults above).
# Needs root (apt-get, and both servers start as root and drop privileges); re-runs itself with
# `sudo -n` when not root and sudo allows it.
set -euo pipefail

die() {
  echo "mail-server: error: $*" >&2
  exit 1
}

cmd="${1:-}"
case "$cmd" in
  start | stop) ;;
  *) die "usage: $0 start|stop" ;;
esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
state="${GHL_MAIL_DIR:-$repo/target/mail-server}"
case "$state" in
  /*) ;;
  *) state="$PWD/$state" ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    exec sudo -n env GHL_MAIL_DIR="$state" \
      ${GHL_MAIL_SMTP_PORT:+GHL_MAIL_SMTP_PORT="$GHL_MAIL_SMTP_PORT"} \
      ${GHL_MAIL_SMTPS_PORT:+GHL_MAIL_SMTPS_PORT="$GHL_MAIL_SMTPS_PORT"} \
      ${GHL_MAIL_IMAP_PORT:+GHL_MAIL_IMAP_PORT="$GHL_MAIL_IMAP_PORT"} \
      ${GHL_MAIL_IMAPS_PORT:+GHL_MAIL_IMAPS_PORT="$GHL_MAIL_IMAPS_PORT"} \
      ${GHL_MAIL_LMTP_PORT:+GHL_MAIL_LMTP_PORT="$GHL_MAIL_LMTP_PORT"} \
      bash "$0" "$@"
  fi
  die "needs root (to install packages and start Postfix and Dovecot); run it as root or with sudo"
fi

# Postfix and Dovecot config values are whitespace-separated lists: keep the path simple.
case "$state" in
  *[[:space:],\"\'\$]*) die "state folder path must not contain spaces, commas, quotes or \$: $state" ;;
esac
state="${state%/}"

smtp_port="${GHL_MAIL_SMTP_PORT:-10587}"
smtps_port="${GHL_MAIL_SMTPS_PORT:-10465}"
imap_port="${GHL_MAIL_IMAP_PORT:-10143}"
imaps_port="${GHL_MAIL_IMAPS_PORT:-10993}"
lmtp_port="${GHL_MAIL_LMTP_PORT:-10024}"
for p in "$smtp_port" "$smtps_port" "$imap_port" "$imaps_port" "$lmtp_port"; do
  [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "not a port number: '$p'"
done
[ "$(printf '%s\n' "$smtp_port" "$smtps_port" "$imap_port" "$imaps_port" "$lmtp_port" | sort -u | wc -l)" -eq 5 ] ||
  die "the five ports must differ: smtp=$smtp_port smtps=$smtps_port imap=$imap_port imaps=$imaps_port lmtp=$lmtp_port"

host=127.0.0.1
domain=ghl.test
password=ghl-test-password
tls_name=localhost

tls="$state/tls"
dovecot_dir="$state/dovecot"
dovecot_conf="$dovecot_dir/dovecot.conf"
dovecot_run="$dovecot_dir/run" # Dovecot's base_dir: master.pid, sockets (auth-client for Postfix)
postfix_etc="$state/postfix/etc"
postfix_queue="$state/postfix/spool"
postfix_data="$state/postfix/data"
mail="$state/mail"
logs="$state/log"

# True when something accepts TCP connections on 127.0.0.1:$1 (loopback refuses at once).
port_open() {
  (: <>"/dev/tcp/$host/$1") 2>/dev/null
}

# True when $1 names a live process whose command is $2.
alive() {
  [ -n "$1" ] && [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# The live process in pid file $1 whose command is $2, if any.
pid_of() {
  local pid
  [ -f "$1" ] || return 0
  pid="$(tr -dc '0-9' <"$1")"
  if alive "$pid" "$2"; then echo "$pid"; fi
}

# True while a process of process group $1 is running (not a zombie). Each master is the leader
# of its own group (both daemonize with setsid); its children are in it too. A master that
# has exited may stay a zombie for a while if PID 1 is slow to reap (as in containers): that
# one no longer holds any port.
group_alive() {
  local pgid="$1" f line fields
  [ -n "$pgid" ] || return 1
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    read -r -a fields <<<"${line##*) }" # state ppid pgrp ...
    [ "${fields[2]}" = "$pgid" ] && [ "${fields[0]}" != Z ] && return 0
  done
  return 1
}

# Stops both servers at once (SIGTERM to each master, as `postfix stop` and `dovecot stop` do)
# and waits until they and their children are gone (~1 s: Dovecot waits 1 s for its children).
stop_servers() {
  local postfix_pid dovecot_pid
  postfix_pid="$(pid_of "$postfix_queue/pid/master.pid" master)"
  dovecot_pid="$(pid_of "$dovecot_run/master.pid" dovecot)"
  [ -n "$postfix_pid$dovecot_pid" ] || return 0
  kill -TERM $postfix_pid $dovecot_pid 2>/dev/null || true
  for _ in $(seq 150); do
    group_alive "$postfix_pid" || group_alive "$dovecot_pid" || return 0
    sleep 0.1
  done
  echo "mail-server: still running after 15 s, killing process groups $postfix_pid $dovecot_pid" >&2
  for pg in $postfix_pid $dovecot_pid; do kill -KILL -- "-$pg" 2>/dev/null || true; done
  sleep 0.5
}

if [ "$cmd" = stop ]; then
  stop_servers
  rm -f "$state/env"
  echo "mail-server: stopped (state in $state)"
  exit 0
fi

# --- install ---------------------------------------------------------------------------------
missing=()
for pkg in dovecot-imapd dovecot-lmtpd postfix openssl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  echo "mail-server: installing ${missing[*]}" >&2
  mkdir -p "$state"
  apt-get update -qq || die "apt-get update failed"
  # --no-install-recommends; Debian's policy-rc.d in containers keeps the system instances down,
  # and they would not clash anyway (other ports, other folders).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    dovecot-imapd dovecot-lmtpd postfix openssl >"$state/apt.log" 2>&1 ||
    { cat "$state/apt.log" >&2; die "apt-get install failed (log above)"; }
  rm -f "$state/apt.log"
fi
for bin in dovecot postfix postconf openssl; do
  command -v "$bin" >/dev/null || die "$bin not found after installing the packages"
done
dovecot_version="$(dovecot --version | cut -d' ' -f1)"

# The mailbox owner: one system user for every test mailbox.
if ! id vmail >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin vmail || die "could not create the system user vmail"
fi
vmail_uid="$(id -u vmail)"
vmail_gid="$(id -g vmail)"

# --- stop a previous instance, check the ports are free --------------------------------------
stop_servers
rm -f "$state/env"
# An instance started by this script from another checkout (another state folder) holds the
# same ports: stop it the same way. Its folder is known from Dovecot's config path and from
# Postfix's working directory (the queue).
for p in "$smtp_port" "$smtps_port" "$imap_port" "$imaps_port" "$lmtp_port"; do
  for pid in $(ss -ltnpH "sport = :$p" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    other=""
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    case "$cmdline" in
      *"/dovecot/dovecot.conf"*)
        other="${cmdline#*-c }"
        other="${other%%/dovecot/dovecot.conf*}"
        ;;
    esac
    cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
    cwd="${cwd% (deleted)}"
    case "$cwd" in */mail-server/postfix/spool) other="${cwd%/postfix/spool}" ;; esac
    [ -n "$other" ] && [ "$other" != "$state" ] || continue
    if [ -f "$other/dovecot/dovecot.conf" ]; then
      echo "mail-server: stopping the instance of $other, which holds port $p" >&2
      GHL_MAIL_DIR="$other" bash "$0" stop >/dev/null || true
    else
      # Its folder is gone (a deleted checkout): end its processes directly.
      echo "mail-server: ending pid $pid of the removed instance $other (port $p)" >&2
      kill "$pid" 2>/dev/null || true
    fi
  done
done
for p in "$smtp_port" "$smtps_port" "$imap_port" "$imaps_port" "$lmtp_port"; do
  for _ in $(seq 30); do port_open "$p" || break; sleep 0.1; done
  if port_open "$p"; then
    who="$(ss -ltnpH "sport = :$p" 2>/dev/null || true)"
    die "port $p on $host is already in use by another process${who:+: $who}
  (another mail-server state folder? stop it, or pick other ports with GHL_MAIL_*_PORT)"
  fi
done

# --- folders ---------------------------------------------------------------------------------
# Daemons running as postfix (the SASL socket) and vmail (the mailboxes) walk down to the
# state folder: every folder on the way must be searchable by them.
mkdir -p "$state" "$tls" "$dovecot_dir" "$dovecot_run" "$postfix_etc" "$postfix_queue" \
  "$postfix_data" "$mail" "$logs"
d="$state"
while [ "$d" != / ]; do
  if [ "$(( $(stat -c '%#a' "$d") & 01 ))" -eq 0 ]; then
    die "folder $d is not searchable by other users (mode $(stat -c '%a' "$d")); the vmail and postfix users must reach $state (chmod o+x, or set GHL_MAIL_DIR elsewhere)"
  fi
  d="$(dirname "$d")"
done
chmod 755 "$state" "$dovecot_dir" "$postfix_etc" "$logs" "$tls"
chown root:root "$postfix_queue" "$postfix_etc" && chmod 755 "$postfix_queue"
chown postfix:postfix "$postfix_data" && chmod 700 "$postfix_data"
chown vmail:vmail "$mail" && chmod 750 "$mail"

# --- TLS: a test CA and a leaf for localhost / 127.0.0.1 (only when absent) ------------------
if [ ! -s "$tls/ca.pem" ] || [ ! -s "$tls/ca.key" ]; then
  rm -f "$tls/server.pem" "$tls/server.key"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -days 3650 -subj "/CN=GoHumanLoop test mail CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>"$tls/openssl.log" ||
    { cat "$tls/openssl.log" >&2; die "could not make the test CA"; }
fi
if [ ! -s "$tls/server.pem" ] || [ ! -s "$tls/server.key" ]; then
  cat >"$tls/server.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$tls_name,IP:$host
EOF
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -subj "/CN=$tls_name" -keyout "$tls/server.key" -out "$tls/server.csr" 2>"$tls/openssl.log" &&
    openssl x509 -req -sha256 -days 3650 -in "$tls/server.csr" -CA "$tls/ca.pem" \
      -CAkey "$tls/ca.key" -set_serial "0x$(openssl rand -hex 16)" -extfile "$tls/server.ext" \
      -out "$tls/server.pem" 2>>"$tls/openssl.log" ||
    { cat "$tls/openssl.log" >&2; die "could not make the server certificate"; }
  rm -f "$tls/server.csr" "$tls/server.ext"
fi
rm -f "$tls/openssl.log"
chmod 600 "$tls/ca.key" "$tls/server.key"
chmod 644 "$tls/ca.pem" "$tls/server.pem"

# --- Dovecot ---------------------------------------------------------------------------------
case "$dovecot_version" in
  2.3.*) plaintext="disable_plaintext_auth = no" ;;
  *) plaintext="auth_allow_cleartext = yes" ;; # the 2.4 name
esac
case "$dovecot_version" in
  2.3.*) ;;
  *) echo "mail-server: warning: config written for Dovecot 2.3, found $dovecot_version" >&2 ;;
esac
dh=""
[ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
cat >"$dovecot_conf" <<EOF
# Written by scripts/mail-server.sh: the test suite's own Dovecot, loopback only.
instance_name = ghl-test-dovecot
protocols = imap lmtp
listen = $host
base_dir = $dovecot_run
state_dir = $dovecot_dir/lib
log_path = $logs/dovecot.log
info_log_path = $logs/dovecot.log

ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
ssl_min_protocol = TLSv1.2
$dh

# Any user name, one password; every mailbox belongs to the system user vmail.
$plaintext
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
recipient_delimiter =
passdb {
  driver = static
  args = password=$password
}
userdb {
  driver = static
  args = uid=$vmail_uid gid=$vmail_gid home=$mail/%d/%n allow_all_users=yes
}
first_valid_uid = $vmail_uid
first_valid_gid = $vmail_gid
mail_location = maildir:$mail/%d/%n
namespace inbox {
  inbox = yes
}

service imap-login {
  inet_listener imap {
    address = $host
    port = $imap_port
  }
  inet_listener imaps {
    address = $host
    port = $imaps_port
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = $host
    port = $lmtp_port
  }
}
protocol lmtp {
  postmaster_address = postmaster@$domain
}
service auth {
  # Postfix's SMTP AUTH asks Dovecot (smtpd_sasl_type = dovecot).
  unix_listener auth-client {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service anvil {
  # No growing delay after a failed login (tests try a wrong password on purpose).
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
dovecot -c "$dovecot_conf" -n >/dev/null 2>"$logs/dovecot-config.err" ||
  { cat "$logs/dovecot-config.err" >&2; die "Dovecot rejects its config $dovecot_conf"; }

# --- Postfix ---------------------------------------------------------------------------------
cp /etc/postfix/main.cf /etc/postfix/master.cf "$postfix_etc/"
pc() { postconf -c "$postfix_etc" "$@"; }
pc -e \
  "queue_directory = $postfix_queue" \
  "data_directory = $postfix_data" \
  "maillog_file = $logs/postfix.log" \
  "maillog_file_prefixes = /var, /dev/stdout, $logs" \
  "inet_interfaces = $host" \
  "inet_protocols = ipv4" \
  "myhostname = $tls_name" \
  "mydomain = $domain" \
  "myorigin = \$mydomain" \
  "mydestination =" \
  "mynetworks = 127.0.0.0/8" \
  "relay_domains =" \
  "relayhost =" \
  "alias_maps =" \
  "alias_database =" \
  "local_recipient_maps =" \
  "recipient_delimiter =" \
  "virtual_mailbox_domains = $domain" \
  "virtual_mailbox_maps =" \
  "virtual_alias_maps =" \
  "virtual_transport = lmtp:inet:$host:$lmtp_port" \
  "default_transport = error:no mail leaves this machine" \
  "relay_transport = error:no mail leaves this machine" \
  "smtpd_sasl_type = dovecot" \
  "smtpd_sasl_path = $dovecot_run/auth-client" \
  "smtpd_sasl_auth_enable = yes" \
  "smtpd_tls_cert_file = $tls/server.pem" \
  "smtpd_tls_key_file = $tls/server.key" \
  "smtpd_tls_security_level = may" \
  "smtpd_tls_auth_only = no" \
  "smtp_tls_security_level = none" \
  "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination" \
  "smtpd_recipient_restrictions =" \
  "smtpd_helo_required = no" \
  "biff = no"
# Listeners: no :25; 10587 plain + STARTTLS; 10465 implicit TLS. No chroot (the queue is here,
# not in /var/spool/postfix with Debian's copies of /etc files).
pc -MX smtp/inet
pc -M "$host:$smtp_port/inet=$host:$smtp_port inet n - n - - smtpd -o syslog_name=postfix/submission"
pc -M "$host:$smtps_port/inet=$host:$smtps_port inet n - n - - smtpd -o syslog_name=postfix/smtps -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt"
pc -F '*/*/chroot = n'
# Postfix does not trust a main.cf changed within the current second: it re-reads it every
# 300 ms until it is older (~1-2 s lost per start). Date the files we just wrote 2 s back.
touch -d "@$(($(date +%s) - 2))" "$postfix_etc/main.cf" "$postfix_etc/master.cf"
: >"$logs/postfix.log"

# --- start -----------------------------------------------------------------------------------
dovecot -c "$dovecot_conf" 2>"$logs/dovecot-start.err" ||
  { cat "$logs/dovecot-start.err" >&2; tail -n 20 "$logs/dovecot.log" >&2 2>/dev/null || true
    die "Dovecot did not start (config $dovecot_conf, log $logs/dovecot.log)"; }
# `postfix start` makes the queue folders and fixes their owners. It may exit 1 without a word
# on the terminal: its reasons go to the log file.
if ! postfix -c "$postfix_etc" start >"$logs/postfix-start.out" 2>&1; then
  cat "$logs/postfix-start.out" >&2
  tail -n 20 "$logs/postfix.log" >&2 2>/dev/null || true
  die "Postfix did not start (config $postfix_etc, log $logs/postfix.log)"
fi

ports=("$smtp_port" "$smtps_port" "$imap_port" "$imaps_port" "$lmtp_port")
for _ in $(seq 150); do
  down=()
  for p in "${ports[@]}"; do port_open "$p" || down+=("$p"); done
  [ "${#down[@]}" -eq 0 ] && break
  sleep 0.1
done
if [ "${#down[@]}" -gt 0 ]; then
  tail -n 20 "$logs/dovecot.log" "$logs/postfix.log" >&2 2>/dev/null || true
  die "after 15 s nothing accepts connections on $host port(s) ${down[*]} (logs in $logs)"
fi

cat >"$state/env.tmp" <<EOF
GHL_TEST_MAIL_HOST=$host
GHL_TEST_SMTP_PORT=$smtp_port
GHL_TEST_SMTPS_PORT=$smtps_port
GHL_TEST_IMAP_PORT=$imap_port
GHL_TEST_IMAPS_PORT=$imaps_port
GHL_TEST_MAIL_DOMAIN=$domain
GHL_TEST_MAIL_PASSWORD=$password
GHL_TEST_MAIL_CA=$tls/ca.pem
GHL_TEST_MAIL_TLS_NAME=$tls_name
EOF
chmod 644 "$state/env.tmp"
mv "$state/env.tmp" "$state/env"
cat "$state/env"
