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
#   --keepalive N            idle upstream connections each nginx worker keeps (default 64,
#                            as in the sample); they hold no responder worker (they wait in
#                            its epoll set), so no rule ties them to the responder's workers.
#                            A thread-per-connection responder (bench/bare-responder.c) needs
#                            worker-processes × N below its threads
#
# Logs: RUNDIR/logs/error.log and access.log. Works as root (workers run as
# www-data) and as a normal user.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib/webserver.sh
source "$repo/scripts/lib/webserver.sh"

# What lib/webserver.sh needs to know (see its header).
server=nginx
server_comm=nginx
config_delimiters='{}'
# Ports that answer while no nginx is in the pid file are someone else's: give up at once.
wait_for_pidfile=""

worker_processes=2
keepalive=64

# The options only nginx has (see server_option in lib/webserver.sh).
server_option() {
    case "$1" in
    --worker-processes) worker_processes=$2; option_words=2 ;;
    --keepalive) keepalive=$2; option_words=2 ;;
    *) return 1 ;;
    esac
}

parse_arguments 8443 8444 "$@"
use_rundir nginx.pid nginx.conf

nginx_args=(-p "$rundir/" -c "$conf")
if [[ $(id -u) -eq 0 ]]; then
    # Workers must not run as root; they need to reach the responder's socket.
    if id -u www-data >/dev/null 2>&1; then
        nginx_args+=(-g "user www-data;")
    else
        nginx_args+=(-g "user nobody;")
    fi
fi

render() {
    validate_ports
    is_uint "$worker_processes" && [[ $worker_processes -ge 1 ]] || die "--worker-processes must be ≥ 1"
    is_uint "$keepalive" && [[ $keepalive -ge 1 ]] || die "--keepalive must be ≥ 1"
    validate_paths_and_names

    mkdir -p "$rundir/logs" "$rundir/tmp"
    render_template "$repo/nginx/nginx.conf" "$conf" WORKER_PROCESSES="$worker_processes"
    render_template "$repo/nginx/credence.conf" "$rundir/credence.conf" \
        CREDENCE_SOCKET="$socket" KEEPALIVE="$keepalive" LISTEN="$listen" \
        SERVER_NAME="$server_name" MTLS_LISTEN="$mtls_listen" \
        MTLS_SERVER_NAME="$mtls_server_name" TLS_DIR="$tls_dir"
    install_rendered "$conf" "$rundir/credence.conf"
}

check_config() { test_config nginx -q "${nginx_args[@]}"; }

case "$action" in
status) report_status ;;
start)
    start_server nginx "${nginx_args[@]}"
    echo "nginx running (pid $pid): https://$server_name:$port (issuer host)," \
        "https://$mtls_server_name:$mtls_port (mTLS alias), keepalive $keepalive ×" \
        "$worker_processes workers, logs in $rundir/logs"
    ;;
reload)
    reload_server HUP
    echo "nginx (pid $pid) reloading $conf"
    ;;
stop) stop_server QUIT TERM ;;
esac
