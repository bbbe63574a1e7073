#!/usr/bin/env bash
# A private nginx in front of `credence serve`, for local runs and the end-to-end tests.
#
#   scripts/nginx.sh start|stop|reload|status RUNDIR [options]
#
# start   renders nginx/nginx.conf and nginx/credence.conf (the operator's sample)
#         into RUNDIR, checks them with `nginx -t`, starts
#         `nginx -p RUNDIR -c RUNDIR/nginx.conf` and waits until both ports answer.
# reload  re-renders, checks, and sends SIGHUP.
# stop    stops the instance whose pid is in RUNDIR/nginx.pid (SIGQUIT, then SIGTERM).
# status  exits 0 when the instance is running.
#
# Options (start, reload):
#   --tls-dir DIR            server-chain.pem and server.key (default: var/pki, see scripts/pki.sh)
#   --socket PATH            the responder's unix socket (default: var/run/credence.sock)
#   --address ADDR           listen address (default 127.0.0.1)
#   --port N                 issuer host port (default 8443)
#   --mtls-port N            mTLS alias host port (default 8444)
#   --server-name NAME       (default localhost)
#   --mtls-server-name NAME  (default localhost)
#   --worker-processes N     nginx worker processes (default 2)
#   --responder-workers N    the responder's worker threads (default 32), to size keepalive
#   --keepalive N            idle upstream connections per nginx worker (default: computed,
#                            responder-workers / (2 × worker-processes), at least 1)
#   --unsafe-keepalive       accept a keepalive that breaks the sizing rule (to reproduce
#                            the hang it prevents; never in production)
#
# Logs: RUNDIR/logs/error.log and access.log. Works as root (workers run as
# www-data) and as a normal user.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
me=$(basename "$0")

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
action=$1
rundir=$2
shift 2
case "$action" in start | stop | reload | status) ;; *) usage ;; esac

tls_dir=$repo/var/pki
socket=$repo/var/run/credence.sock
address=127.0.0.1
port=8443
mtls_port=8444
server_name=localhost
mtls_server_name=localhost
worker_processes=2
responder_workers=32
keepalive=""
unsafe_keepalive=""

while [[ $# -gt 0 ]]; do
    case "$1" in
    --tls-dir) tls_dir=$2; shift 2 ;;
    --socket) socket=$2; shift 2 ;;
    --address) address=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --mtls-port) mtls_port=$2; shift 2 ;;
    --server-name) server_name=$2; shift 2 ;;
    --mtls-server-name) mtls_server_name=$2; shift 2 ;;
    --worker-processes) worker_processes=$2; shift 2 ;;
    --responder-workers) responder_workers=$2; shift 2 ;;
    --keepalive) keepalive=$2; shift 2 ;;
    --unsafe-keepalive) unsafe_keepalive=1; shift ;;
    *) die "unknown option: $1 (see $0 without arguments)" ;;
    esac
done

mkdir -p "$rundir"
rundir=$(cd "$rundir" && pwd)
pidfile=$rundir/nginx.pid
conf=$rundir/nginx.conf

running_pid() {
    local pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    grep -q nginx "/proc/$pid/comm" 2>/dev/null || return 1
    echo "$pid"
}

nginx_args=(-p "$rundir/" -c "$conf")
if [[ $(id -u) -eq 0 ]]; then
    # Workers must not run as root; they need to reach the responder's socket.
    if id -u www-data >/dev/null 2>&1; then
        nginx_args+=(-g "user www-data;")
    else
        nginx_args+=(-g "user nobody;")
    fi
fi

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# A value going into the configuration: no characters that would end a
# directive or escape the sed substitution.
check_value() {
    [[ -n "$2" && "$2" != *[\;\{\}\|\&\\\"\'\ \#]* && "$2" != *$'\n'* ]] ||
        die "$1: unusable value '$2'"
}

render() {
    is_uint "$port" && is_uint "$mtls_port" || die "ports must be numbers"
    [[ "$port" != "$mtls_port" ]] || die "--port and --mtls-port must differ"
    is_uint "$worker_processes" && [[ $worker_processes -ge 1 ]] || die "--worker-processes must be ≥ 1"
    is_uint "$responder_workers" && [[ $responder_workers -ge 1 ]] || die "--responder-workers must be ≥ 1"
    if [[ -z "$keepalive" ]]; then
        keepalive=$((responder_workers / (2 * worker_processes)))
        [[ $keepalive -ge 1 ]] || keepalive=1
    fi
    is_uint "$keepalive" && [[ $keepalive -ge 1 ]] || die "--keepalive must be ≥ 1"
    if [[ $((worker_processes * keepalive)) -ge $responder_workers && -z "$unsafe_keepalive" ]]; then
        die "worker_processes × keepalive = $worker_processes × $keepalive must stay below the" \
            "responder's $responder_workers workers (idle kept connections each hold a responder" \
            "thread); give the responder more workers or nginx fewer processes"
    fi
    [[ "$socket" == /* ]] || socket=$(pwd)/$socket
    [[ "$tls_dir" == /* ]] || tls_dir=$(pwd)/$tls_dir
    [[ -s "$tls_dir/server-chain.pem" && -s "$tls_dir/server.key" ]] ||
        die "no server-chain.pem/server.key in $tls_dir (create them with scripts/pki.sh $tls_dir)"
    local name
    for name in socket tls_dir address server_name mtls_server_name; do
        check_value "--${name//_/-}" "${!name}"
    done
    local listen=$address:$port mtls_listen=$address:$mtls_port
    [[ "$address" == *:* ]] && listen="[$address]:$port" && mtls_listen="[$address]:$mtls_port"

    mkdir -p "$rundir/logs" "$rundir/tmp"
    sed -e "/^[[:space:]]*#/!s|@WORKER_PROCESSES@|$worker_processes|g" \
        "$repo/nginx/nginx.conf" >"$conf.new"
    sed -e "/^[[:space:]]*#/!s|@CREDENCE_SOCKET@|$socket|g" \
        -e "/^[[:space:]]*#/!s|@KEEPALIVE@|$keepalive|g" \
        -e "/^[[:space:]]*#/!s|@LISTEN@|$listen|g" \
        -e "/^[[:space:]]*#/!s|@SERVER_NAME@|$server_name|g" \
        -e "/^[[:space:]]*#/!s|@MTLS_LISTEN@|$mtls_listen|g" \
        -e "/^[[:space:]]*#/!s|@MTLS_SERVER_NAME@|$mtls_server_name|g" \
        -e "/^[[:space:]]*#/!s|@TLS_DIR@|$tls_dir|g" \
        "$repo/nginx/credence.conf" >"$rundir/credence.conf.new"
    if sed 's/#.*//' "$conf.new" "$rundir/credence.conf.new" | grep '@[A-Z_]*@'; then
        die "placeholders left unreplaced (above)"
    fi
    mv "$conf.new" "$conf"
    mv "$rundir/credence.conf.new" "$rundir/credence.conf"
}

check_config() {
    local out
    if ! out=$(nginx -t -q "${nginx_args[@]}" 2>&1); then
        echo "$out" >&2
        die "nginx -t failed for $conf"
    fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

case "$action" in
status)
    if pid=$(running_pid); then
        echo "nginx running (pid $pid) in $rundir"
    else
        echo "nginx not running in $rundir"
        exit 1
    fi
    ;;
start)
    if pid=$(running_pid); then
        die "already running (pid $pid) in $rundir; use reload or stop"
    fi
    rm -f "$pidfile"
    render
    check_config
    : >"$rundir/logs/error.log"
    if ! out=$(nginx "${nginx_args[@]}" 2>&1); then
        if [[ -n "$out" ]]; then
            echo "$out" | tail -n 20 >&2
        else
            tail -n 20 "$rundir/logs/error.log" >&2 || true
        fi
        die "nginx did not start (logs: $rundir/logs)"
    fi
    connect=$address
    [[ "$address" == 0.0.0.0 ]] && connect=127.0.0.1
    [[ "$address" == :: ]] && connect=::1
    for _ in $(seq 1 100); do
        if port_open "$connect" "$port" && port_open "$connect" "$mtls_port"; then
            pid=$(running_pid) || break
            echo "nginx running (pid $pid): https://$server_name:$port (issuer host)," \
                "https://$mtls_server_name:$mtls_port (mTLS alias), keepalive $keepalive ×" \
                "$worker_processes workers, logs in $rundir/logs"
            exit 0
        fi
        sleep 0.1
    done
    tail -n 20 "$rundir/logs/error.log" >&2 || true
    die "nginx is not answering on $connect:$port and $connect:$mtls_port"
    ;;
reload)
    pid=$(running_pid) || die "not running in $rundir"
    render
    check_config
    kill -HUP "$pid"
    echo "nginx (pid $pid) reloading $conf"
    ;;
stop)
    if ! pid=$(running_pid); then
        echo "nginx not running in $rundir"
        exit 0
    fi
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { echo "nginx (pid $pid) stopped"; exit 0; }
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { echo "nginx (pid $pid) stopped (SIGTERM)"; exit 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    die "nginx (pid $pid) did not stop gracefully; killed"
    ;;
esac
