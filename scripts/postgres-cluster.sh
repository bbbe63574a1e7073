#!/usr/bin/env bash
# postgres-cluster.sh: a local, throwaway PostgreSQL cluster for development
# (`make run` keeps one in var/postgres) and for the tests (in a temp folder).
#
#   postgres-cluster.sh start  DIR [PORT]   create if needed, start if stopped,
#                                           create database `credence`, print the conninfo
#   postgres-cluster.sh stop   DIR          stop it if it runs
#   postgres-cluster.sh status DIR          print the conninfo and exit 0 if it runs,
#                                           exit 3 if it does not
#
# All three are idempotent. The cluster trusts local connections only: the
# unix socket in DIR and TCP on 127.0.0.1 (it listens nowhere else).
# Run as root (as CI does), the server runs as the `postgres` system user,
# because initdb and postgres refuse to run as root; DIR is then owned by it.
#
# Environment:
#   PG_BINDIR                 folder of initdb/pg_ctl/postgres (default: newest
#                             /usr/lib/postgresql/*/bin, else from PATH)
#   POSTGRES_CLUSTER_USER     system user to run the server as when root (default postgres)
#   POSTGRES_CLUSTER_FAST=1   on first creation: no fsync at all (tests only, never data you keep)
set -euo pipefail

readonly DB_NAME=credence
readonly DB_SUPERUSER=credence

die() { echo "postgres-cluster: $*" >&2; exit 1; }

usage() {
    echo "usage: $0 start DIR [PORT] | stop DIR | status DIR" >&2
    exit 2
}

find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/initdb" ]] || die "PG_BINDIR=$PG_BINDIR has no initdb"
        echo "$PG_BINDIR"
        return
    fi
    local candidate best
    # The glob sorts lexically; pick the highest major version numerically.
    best=$(for candidate in /usr/lib/postgresql/*/bin; do
        [[ -x "$candidate/initdb" ]] && echo "$candidate"
    done | sort -t/ -k5 -n | tail -n 1)
    if [[ -n "$best" ]]; then
        echo "$best"
        return
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return
    fi
    die "no PostgreSQL server found (install the postgresql package or set PG_BINDIR)"
}

# Runs a command as the user that owns the cluster.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$SERVER_USER" -- "$@"
    else
        "$@"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_free_port() {
    local attempt port
    for attempt in $(seq 1 50); do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! port_in_use "$port" && [[ ! -e "$DIR/.s.PGSQL.$port" ]]; then
            echo "$port"
            return
        fi
    done
    die "no free TCP port found"
}

conninfo() {
    echo "host=$DIR port=$(cat "$DIR/port") dbname=$DB_NAME user=$DB_SUPERUSER"
}

is_running() {
    [[ -f "$DATA/PG_VERSION" ]] && as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

create_cluster() {
    local port=$1
    local no_sync=()
    [[ "${POSTGRES_CLUSTER_FAST:-0}" == 1 ]] && no_sync=(--no-sync)
    as_owner "$BINDIR/initdb" -D "$DATA" --username="$DB_SUPERUSER" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-instructions "${no_sync[@]}" >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    # Only local connections, all trusted: this cluster is for one machine's
    # development and tests, never reachable from elsewhere.
    as_owner tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
host    all       all   ::1/128       trust
EOF
    {
        echo "# Added by postgres-cluster.sh"
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$DIR'"
        echo "max_connections = 100"
        echo "shared_buffers = 32MB"
        echo "timezone = 'UTC'"
        echo "log_timezone = 'UTC'"
        if [[ "${POSTGRES_CLUSTER_FAST:-0}" == 1 ]]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
    echo "$port" | as_owner tee "$DIR/port" >/dev/null
}

set_port() {
    local port=$1
    as_owner sed -i "s/^port = .*/port = $port/" "$DATA/postgresql.conf"
    echo "$port" | as_owner tee "$DIR/port" >/dev/null
}

cmd_start() {
    local requested_port=${1:-}
    if [[ -n "$requested_port" && ! "$requested_port" =~ ^[0-9]+$ ]]; then
        die "PORT must be a number"
    fi
    if [[ $(id -u) -eq 0 ]]; then
        id "$SERVER_USER" >/dev/null 2>&1 \
            || die "running as root needs the system user '$SERVER_USER' (apt-get install postgresql creates it)"
        chown "$SERVER_USER": "$DIR"
        runuser -u "$SERVER_USER" -- test -w "$DIR" -a -x "$DIR" \
            || die "user '$SERVER_USER' cannot reach $DIR (a parent folder is private?)"
    fi
    chmod 0700 "$DIR"

    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        create_cluster "${requested_port:-$(pick_free_port)}"
    elif [[ -n "$requested_port" && "$requested_port" != "$(cat "$DIR/port")" ]]; then
        is_running && die "cluster in $DIR runs on port $(cat "$DIR/port"); stop it to change the port"
        set_port "$requested_port"
    fi

    if ! is_running; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 -s start \
            || { tail -n 20 "$DIR/server.log" >&2 || true; die "server did not start (see $DIR/server.log)"; }
    fi

    local port exists
    port=$(cat "$DIR/port")
    exists=$("$BINDIR/psql" -h "$DIR" -p "$port" -U "$DB_SUPERUSER" -d postgres -XAtq \
        -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")
    if [[ "$exists" != 1 ]]; then
        "$BINDIR/psql" -h "$DIR" -p "$port" -U "$DB_SUPERUSER" -d postgres -XAtq \
            -c "CREATE DATABASE $DB_NAME" >/dev/null
    fi
    conninfo
}

cmd_stop() {
    if is_running; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 -s stop
    fi
}

cmd_status() {
    if is_running; then
        conninfo
    else
        echo "not running" >&2
        exit 3
    fi
}

[[ $# -ge 2 ]] || usage
COMMAND=$1
DIR_ARG=$2
[[ "$DIR_ARG" != *[[:space:]\'\\]* ]] || die "DIR must not contain spaces, quotes or backslashes"
if [[ ! -d "$DIR_ARG" ]]; then
    case "$COMMAND" in
        start) mkdir -p "$DIR_ARG" || die "cannot create $DIR_ARG" ;;
        stop) exit 0 ;;
        status) echo "not running" >&2; exit 3 ;;
    esac
fi
DIR=$(cd "$DIR_ARG" && pwd -P)
# A unix socket path holds at most 107 bytes.
(( ${#DIR} + 16 <= 107 )) || die "DIR path is too long for a unix socket: $DIR"
readonly DIR DATA="$DIR/data"
SERVER_USER=${POSTGRES_CLUSTER_USER:-postgres}
BINDIR=$(find_bindir)
readonly SERVER_USER BINDIR

case "$COMMAND" in
    start) [[ $# -le 3 ]] || usage; cmd_start "${3:-}" ;;
    stop) [[ $# -eq 2 ]] || usage; cmd_stop ;;
    status) [[ $# -eq 2 ]] || usage; cmd_status ;;
    *) usage ;;
esac
