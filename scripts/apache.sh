#!/usr/bin/env bash
# A private Apache httpd in front of `credence serve`, for local runs and the end-to-end tests.
#
#   scripts/apache.sh start|stop|reload|status RUNDIR [options]
#
# start   renders apache/httpd.conf and apache/credence.conf (the operator's
#         sample) into RUNDIR, checks them with `apache2 -t`, starts
#         `apache2 -d RUNDIR -f RUNDIR/httpd.conf -k start` (it writes
#         RUNDIR/apache2.pid) and waits until both ports answer.
# reload  re-renders, checks, and restarts gracefully (SIGUSR1).
# stop    stops the instance whose pid is in RUNDIR/apache2.pid (SIGTERM).
# status  exits 0 when the instance is running.
#
# Options (start, reload):
#   --tls-dir DIR            server-chain.pem and server.key (default: var/pki, see scripts/pki.sh)
#   --socket PATH            the responder's unix socket (default: var/run/credence.sock)
#   --address ADDR           listen address (default 127.0.0.1)
#   --port N                 issuer host port (default 9443)
#   --mtls-port N            mTLS alias host port (default 9444)
#   --server-name NAME       (default localhost; ServerName gets NAME:PORT)
#   --mtls-server-name NAME  (default localhost; ServerName gets NAME:MTLS-PORT)
#
# Logs: RUNDIR/logs/error.log and access.log. Works as root (children run as
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
port=9443
mtls_port=9444
server_name=localhost
mtls_server_name=localhost

while [[ $# -gt 0 ]]; do
    case "$1" in
    --tls-dir) tls_dir=$2; shift 2 ;;
    --socket) socket=$2; shift 2 ;;
    --address) address=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --mtls-port) mtls_port=$2; shift 2 ;;
    --server-name) server_name=$2; shift 2 ;;
    --mtls-server-name) mtls_server_name=$2; shift 2 ;;
    *) die "unknown option: $1 (see $0 without arguments)" ;;
    esac
done

command -v apache2 >/dev/null || die "apache2 not found (scripts/install-deps.sh installs it)"

mkdir -p "$rundir"
rundir=$(cd "$rundir" && pwd)
pidfile=$rundir/apache2.pid
conf=$rundir/httpd.conf

running_pid() {
    local pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    grep -qE 'apache2|httpd' "/proc/$pid/comm" 2>/dev/null || return 1
    echo "$pid"
}

apache_args=(-d "$rundir" -f "$conf")
if [[ $(id -u) -eq 0 ]]; then
    # Apache refuses to serve as root; the children need to reach the responder's socket.
    apache_args+=(-D CREDENCE_AS_ROOT)
fi

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# A value going into the configuration: no characters that would end a
# directive or escape the sed substitution.
check_value() {
    [[ -n "$2" && "$2" != *[\;\<\>\|\&\\\"\'\ \#]* && "$2" != *$'\n'* ]] ||
        die "$1: unusable value '$2'"
}

render() {
    is_uint "$port" && is_uint "$mtls_port" || die "ports must be numbers"
    [[ "$port" != "$mtls_port" ]] || die "--port and --mtls-port must differ"
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

    mkdir -p "$rundir/logs" "$rundir/run" "$rundir/htdocs"
    local subst=(
        -e "/^[[:space:]]*#/!s|@CREDENCE_SOCKET@|$socket|g"
        -e "/^[[:space:]]*#/!s|@LISTEN@|$listen|g"
        -e "/^[[:space:]]*#/!s|@SERVER_NAME@|$server_name:$port|g"
        -e "/^[[:space:]]*#/!s|@MTLS_LISTEN@|$mtls_listen|g"
        -e "/^[[:space:]]*#/!s|@MTLS_SERVER_NAME@|$mtls_server_name:$mtls_port|g"
        -e "/^[[:space:]]*#/!s|@TLS_DIR@|$tls_dir|g"
    )
    sed "${subst[@]}" "$repo/apache/httpd.conf" >"$conf.new"
    sed "${subst[@]}" "$repo/apache/credence.conf" >"$rundir/credence.conf.new"
    if sed 's/#.*//' "$conf.new" "$rundir/credence.conf.new" | grep '@[A-Z_]*@'; then
        die "placeholders left unreplaced (above)"
    fi
    mv "$conf.new" "$conf"
    mv "$rundir/credence.conf.new" "$rundir/credence.conf"
    if [[ $(id -u) -eq 0 ]]; then
        # Children (www-data) write nothing here but the SSL session cache,
        # which the parent creates; logs are opened by the parent.
        chmod 0755 "$rundir"
    fi
}

check_config() {
    local out
    if ! out=$(apache2 -t "${apache_args[@]}" 2>&1); then
        echo "$out" >&2
        die "apache2 -t failed for $conf"
    fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

case "$action" in
status)
    if pid=$(running_pid); then
        echo "apache running (pid $pid) in $rundir"
    else
        echo "apache not running in $rundir"
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
    if ! out=$(apache2 "${apache_args[@]}" -k start 2>&1); then
        if [[ -n "$out" ]]; then
            echo "$out" | tail -n 20 >&2
        else
            tail -n 20 "$rundir/logs/error.log" >&2 || true
        fi
        die "apache did not start (logs: $rundir/logs)"
    fi
    connect=$address
    [[ "$address" == 0.0.0.0 ]] && connect=127.0.0.1
    [[ "$address" == :: ]] && connect=::1
    for _ in $(seq 1 100); do
        if port_open "$connect" "$port" && port_open "$connect" "$mtls_port" && pid=$(running_pid); then
            echo "apache running (pid $pid): https://$server_name:$port (issuer host)," \
                "https://$mtls_server_name:$mtls_port (mTLS alias), logs in $rundir/logs"
            exit 0
        fi
        sleep 0.1
    done
    tail -n 20 "$rundir/logs/error.log" >&2 || true
    die "apache is not answering on $connect:$port and $connect:$mtls_port"
    ;;
reload)
    pid=$(running_pid) || die "not running in $rundir"
    render
    check_config
    kill -USR1 "$pid"
    echo "apache (pid $pid) restarting gracefully with $conf"
    ;;
stop)
    if ! pid=$(running_pid); then
        echo "apache not running in $rundir"
        exit 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { echo "apache (pid $pid) stopped"; exit 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    die "apache (pid $pid) did not stop; killed"
    ;;
esac
