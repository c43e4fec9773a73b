#!/usr/bin/env bash
# A throwaway PostgreSQL server for the task store's tests, on a loopback port.
#
#   scripts/postgres-test-server.sh start    # install when missing, start, print the export line
#   scripts/postgres-test-server.sh stop     # stop the server and delete its data
#   scripts/postgres-test-server.sh status   # say whether it runs (exit 0) or not (exit 1)
#   scripts/postgres-test-server.sh env      # print the export line of the running server
#
# `start` prints exactly one line on stdout, so that a shell or a Makefile can take it over:
#
#   eval "$(scripts/postgres-test-server.sh start)"     # sets TASKPOD_TEST_POSTGRES_URL
#   swift test
#   scripts/postgres-test-server.sh stop
#
# Everything else goes to stderr. Both subcommands are idempotent: `start` on a running server prints its URL
# again, `stop` without a server does nothing; a server left behind by a crash (its state file names a data dir
# whose postmaster is gone) is cleaned up by the next `start` or `stop`.
#
# The server: initdb in a fresh temporary folder (as the `postgres` user when run as root, because PostgreSQL
# refuses to run as root; as the current user otherwise), listening on 127.0.0.1 only, on a free port
# (TASKPOD_PG_PORT to choose one) and on a Unix socket in that folder. Local socket connections are trusted;
# TCP connections need the password of the role `taskpod` (password `taskpod`), which owns the database `taskpod`
# and may create databases and roles (the tests make a database per test, and a role with a password of their own
# to check that it never shows in a message or a log). TLS is on, with a certificate for `localhost` signed by a
# throwaway CA whose certificate is ca.pem in the server's folder; the printed URL names it as `sslrootcert` (and
# says sslmode=disable). Durability is switched off (fsync=off): the data is thrown away anyway.
#
# Environment:
#   TASKPOD_PG_STATE_FILE  where the state is kept (default /tmp/taskpod-postgres-test-<uid>.state)
#   TASKPOD_PG_PORT        the TCP port (default: a free one between 20000 and 60000)
#   PG_BINDIR              the folder with initdb, pg_ctl and psql (default: from PATH or /usr/lib/postgresql/*/bin)
set -euo pipefail

STATE_FILE="${TASKPOD_PG_STATE_FILE:-${TMPDIR:-/tmp}/taskpod-postgres-test-$(id -u).state}"
ROLE=taskpod
PASSWORD=taskpod
DATABASE=taskpod

log() { echo "postgres-test-server: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the server's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
  if is_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] || die "PG_BINDIR=$PG_BINDIR has no initdb and pg_ctl"
    echo "$PG_BINDIR"
    return 0
  fi
  local candidate
  candidate="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$candidate" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
    echo "$candidate"
    return 0
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  return 1
}

# Installs Debian package $1 (which provides $2) as root; otherwise says how and fails.
install_package() {
  if is_root && command -v apt-get >/dev/null 2>&1; then
    log "$2 is not installed; installing it: apt-get install -y $1"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "$1" >&2
  else
    log "$2 is not installed."
    log "install it with:  sudo apt-get install -y $1"
    [ "$1" != postgresql ] || log "(or set PG_BINDIR to the folder that holds initdb and pg_ctl)"
    log "then run this again."
    exit 1
  fi
}

# A CA and a server certificate signed by it, for localhost only (deliberately no IP address: a client that
# checks the host name must refuse the certificate when it connects to 127.0.0.1).
make_certificates() {
  local dir="$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
    -subj "/CN=taskpod test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 7 \
    -extfile "$dir/server.ext" -out "$dir/server.crt" >/dev/null 2>&1
  rm -f "$dir/ca.key" "$dir/server.csr" "$dir/server.ext" "$dir/ca.srl"
  chmod 600 "$dir/server.key"
  chmod 644 "$dir/ca.pem" "$dir/server.crt"
}

# Reads the state file into STATE_BASE, STATE_DATA, STATE_PORT, STATE_URL. Returns 1 when there is none.
read_state() {
  [ -f "$STATE_FILE" ] || return 1
  STATE_BASE="$(sed -n 's/^base=//p' "$STATE_FILE")"
  STATE_DATA="$(sed -n 's/^data=//p' "$STATE_FILE")"
  STATE_PORT="$(sed -n 's/^port=//p' "$STATE_FILE")"
  STATE_URL="$(sed -n 's/^url=//p' "$STATE_FILE")"
  STATE_BINDIR="$(sed -n 's/^bindir=//p' "$STATE_FILE")"
  [ -n "$STATE_DATA" ] && [ -n "$STATE_BASE" ] || die "the state file $STATE_FILE is damaged; remove it"
}

# True when the recorded server's postmaster runs and answers on its socket (a postmaster killed a moment ago may
# still look alive to pg_ctl).
server_running() {
  [ -d "$STATE_DATA" ] || return 1
  as_owner "$STATE_BINDIR/pg_ctl" -D "$STATE_DATA" status >/dev/null 2>&1 || return 1
  [ -x "$STATE_BINDIR/pg_isready" ] || return 0
  as_owner "$STATE_BINDIR/pg_isready" -q -t 5 -h "$STATE_BASE" -p "$STATE_PORT" >/dev/null 2>&1
}

# Stops whatever may be left of a server that does not answer, before its folder goes.
stop_leftovers() {
  [ -d "$STATE_DATA" ] || return 0
  as_owner "$STATE_BINDIR/pg_ctl" -D "$STATE_DATA" stop -m immediate -w -t 10 >/dev/null 2>&1 || true
}

# Removes a folder this script made (and only such a folder).
remove_base() {
  case "$1" in
    */taskpod-pg.*) rm -rf -- "$1" ;;
    *) log "not removing $1: it is not a folder this script made" ;;
  esac
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  if [ -n "${TASKPOD_PG_PORT:-}" ]; then
    echo "$TASKPOD_PG_PORT"
    return
  fi
  local port attempt
  for attempt in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! port_in_use "$port"; then
      echo "$port"
      return
    fi
  done
  die "found no free port on 127.0.0.1; set TASKPOD_PG_PORT"
}

print_env() { echo "export TASKPOD_TEST_POSTGRES_URL='$1'"; }

cmd_start() {
  if read_state; then
    if server_running; then
      log "already running on 127.0.0.1:$STATE_PORT (data in $STATE_DATA)"
      print_env "$STATE_URL"
      return 0
    fi
    log "cleaning up a server that is no longer running (data in $STATE_DATA)"
    stop_leftovers
    remove_base "$STATE_BASE"
    rm -f "$STATE_FILE"
  fi

  local bindir
  if ! bindir="$(find_bindir)"; then
    install_package postgresql "PostgreSQL's server (initdb, pg_ctl)"
    bindir="$(find_bindir)" || die "PostgreSQL was installed but initdb and pg_ctl are still not found; set PG_BINDIR"
  fi
  command -v openssl >/dev/null 2>&1 || install_package openssl "openssl (for the server's test certificate)"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root needs the user 'postgres' (the postgresql package creates it)"
    command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (apt-get install -y util-linux)"
  fi

  local base data socket logfile
  base="$(mktemp -d "${TMPDIR:-/tmp}/taskpod-pg.XXXXXX")"
  data="$base/data"
  socket="$base"
  logfile="$base/server.log"
  chmod 700 "$base"
  # From here on a failure removes the half-made server.
  trap 'as_owner "$bindir/pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1 || true; remove_base "$base"' ERR
  make_certificates "$base"
  if is_root; then chown -R postgres: "$base"; fi

  log "initdb in $data"
  as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >"$base/initdb.log" 2>&1 \
    || { cat "$base/initdb.log" >&2; false; }

  # The tests run in parallel, each with a pool of its own: allow plenty of connections.
  local settings="-c listen_addresses=127.0.0.1 -c max_connections=400"
  settings="$settings -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  settings="$settings -c ssl=on -c ssl_cert_file=$base/server.crt -c ssl_key_file=$base/server.key"
  local port started=no attempt
  for attempt in 1 2 3 4 5; do
    port="$(pick_port)"
    log "starting on 127.0.0.1:$port"
    if as_owner "$bindir/pg_ctl" -D "$data" -l "$logfile" -w -t 60 -o "-p $port -k $socket $settings" \
      start >/dev/null; then
      started=yes
      break
    fi
    tail -n 5 "$logfile" >&2 || true
    [ -z "${TASKPOD_PG_PORT:-}" ] || break
  done
  [ "$started" = yes ] || { log "the server did not start; its log is above"; false; }

  local psql="$bindir/psql"
  [ -x "$psql" ] || psql=psql
  as_owner "$psql" -X -q -h "$socket" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE $ROLE LOGIN CREATEDB CREATEROLE PASSWORD '$PASSWORD'" \
    -c "CREATE DATABASE $DATABASE OWNER $ROLE" >&2

  # sslrootcert is ignored with sslmode=disable; the tests read it to try the TLS modes against this server.
  local url="postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE?sslmode=disable&sslrootcert=$base/ca.pem"
  {
    echo "base=$base"
    echo "data=$data"
    echo "port=$port"
    echo "bindir=$bindir"
    echo "url=$url"
  } >"$STATE_FILE"
  trap - ERR
  log "running; stop it with: $0 stop"
  print_env "$url"
}

cmd_stop() {
  if ! read_state; then
    log "no server to stop ($STATE_FILE does not exist)"
    return 0
  fi
  if server_running; then
    log "stopping the server with data in $STATE_DATA"
    as_owner "$STATE_BINDIR/pg_ctl" -D "$STATE_DATA" stop -m fast -w -t 60 >/dev/null
  else
    log "the server with data in $STATE_DATA is not running; cleaning up"
    stop_leftovers
  fi
  remove_base "$STATE_BASE"
  rm -f "$STATE_FILE"
}

cmd_status() {
  if read_state && server_running; then
    log "running on 127.0.0.1:$STATE_PORT (data in $STATE_DATA)"
    return 0
  fi
  log "not running"
  return 1
}

cmd_env() {
  read_state && server_running || die "no server is running; start one with: $0 start"
  print_env "$STATE_URL"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
esac
