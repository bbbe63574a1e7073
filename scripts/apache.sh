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
# shellcheck source=SCRIPTDIR/lib/webserver.sh
source "$repo/scripts/lib/webserver.sh"

# What lib/webserver.sh needs to know (see its header).
server=apache
server_comm='apache2|httpd'
config_delimiters='<>'
# apache2 -k start may answer on the ports before it has written its pid file.
wait_for_pidfile=1

parse_arguments 9443 9444 "$@"

command -v apache2 >/dev/null || die "apache2 not found (scripts/install-deps.sh installs it)"

use_rundir apache2.pid httpd.conf

apache_args=(-d "$rundir" -f "$conf")
if [[ $(id -u) -eq 0 ]]; then
    # Apache refuses to serve as root; the children need to reach the responder's socket.
    apache_args+=(-D CREDENCE_AS_ROOT)
fi

render() {
    validate_ports
    validate_paths_and_names

    mkdir -p "$rundir/logs" "$rundir/run" "$rundir/htdocs"
    local values=(
        CREDENCE_SOCKET="$socket" LISTEN="$listen" SERVER_NAME="$server_name:$port"
        MTLS_LISTEN="$mtls_listen" MTLS_SERVER_NAME="$mtls_server_name:$mtls_port"
        TLS_DIR="$tls_dir"
    )
    render_template "$repo/apache/httpd.conf" "$conf" "${values[@]}"
    render_template "$repo/apache/credence.conf" "$rundir/credence.conf" "${values[@]}"
    install_rendered "$conf" "$rundir/credence.conf"
    if [[ $(id -u) -eq 0 ]]; then
        # Children (www-data) write nothing here but the SSL session cache,
        # which the parent creates; logs are opened by the parent.
        chmod 0755 "$rundir"
    fi
}

check_config() { test_config apache2 "${apache_args[@]}"; }

case "$action" in
status) report_status ;;
start)
    start_server apache2 "${apache_args[@]}" -k start
    echo "apache running (pid $pid): https://$server_name:$port (issuer host)," \
        "https://$mtls_server_name:$mtls_port (mTLS alias), logs in $rundir/logs"
    ;;
reload)
    reload_server USR1
    echo "apache (pid $pid) restarting gracefully with $conf"
    ;;
stop) stop_server TERM ;;
esac
