# shellcheck shell=bash
# What scripts/nginx.sh and scripts/apache.sh have in common: a private web server
# instance in RUNDIR in front of `credence serve`, driven by
#
#   SCRIPT start|stop|reload|status RUNDIR [options]
#
# Sourced (not run) by those scripts, after their header comment and `set -euo pipefail`
# (usage prints that header). Before calling the functions below, the script sets
#
#   repo               the repository root (templates and the default paths are below it)
#   server             the name in messages ("nginx", "apache")
#   server_comm        extended regex that /proc/PID/comm of the instance's main process matches
#   config_delimiters  characters that end or open a directive in its configuration, refused in
#                      values on top of those every server refuses (see check_value)
#   wait_for_pidfile   non-empty: keep waiting when the ports answer before the pid file is there;
#                      empty: give up at once (the ports are someone else's)
#
# and defines the hooks render (writes the configuration into RUNDIR) and check_config
# (tests it), which start_server and reload_server call, and, for options only it has,
# server_option (see parse_arguments).

me=$(basename "$0")

# Prints the message prefixed with the script's name on stderr and exits 1.
die() {
    echo "$me: $*" >&2
    exit 1
}

# Prints the script's header comment (line 2 up to `set -euo pipefail`) on stderr and exits 2.
usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# The hook for a server's own options: called with the remaining arguments when the first is
# none of the common options; it stores the value, sets option_words to the number of arguments
# it used, and returns 1 when it does not know the option either. A script with options of its
# own defines its own server_option after sourcing this file.
server_option() {
    return 1
}

# parse_arguments DEFAULT_PORT DEFAULT_MTLS_PORT ARGUMENTS...: sets action and rundir from the
# script's first two arguments (usage unless there are two and the action is known) and the
# common options' variables from the rest (tls_dir, socket, address, port, mtls_port,
# server_name, mtls_server_name), handing other options to server_option.
parse_arguments() {
    local default_port=$1 default_mtls_port=$2
    shift 2
    [[ $# -ge 2 ]] || usage
    action=$1
    rundir=$2
    shift 2
    case "$action" in start | stop | reload | status) ;; *) usage ;; esac

    tls_dir=$repo/var/pki
    socket=$repo/var/run/credence.sock
    address=127.0.0.1
    port=$default_port
    mtls_port=$default_mtls_port
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
        *)
            server_option "$@" || die "unknown option: $1 (see $0 without arguments)"
            shift "$option_words"
            ;;
        esac
    done
}

# use_rundir PIDFILE CONF: creates RUNDIR, makes rundir absolute and sets pidfile and conf
# (the main configuration file) to those names in it.
use_rundir() {
    mkdir -p "$rundir"
    rundir=$(cd "$rundir" && pwd)
    pidfile=$rundir/$1
    conf=$rundir/$2
}

# Prints the pid in the pid file when that process runs and is the server; else returns 1.
running_pid() {
    local pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    grep -qE "$server_comm" "/proc/$pid/comm" 2>/dev/null || return 1
    echo "$pid"
}

# is_uint VALUE: whether VALUE is a whole number (digits only).
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# check_value OPTION VALUE: dies unless VALUE can go into the configuration: not empty, no
# characters that would end a directive or escape the sed substitution.
check_value() {
    local forbidden=$';|&\\"\' #'"$config_delimiters"
    [[ -n "$2" && "$2" != *["$forbidden"]* && "$2" != *$'\n'* ]] ||
        die "$1: unusable value '$2'"
}

# Dies unless both ports are numbers and differ.
validate_ports() {
    is_uint "$port" && is_uint "$mtls_port" || die "ports must be numbers"
    [[ "$port" != "$mtls_port" ]] || die "--port and --mtls-port must differ"
}

# Makes socket and tls_dir absolute, dies unless the TLS directory has the server's chain and
# key and every common value passes check_value, and sets listen and mtls_listen (ADDRESS:PORT,
# the address in brackets when it is IPv6).
validate_paths_and_names() {
    [[ "$socket" == /* ]] || socket=$(pwd)/$socket
    [[ "$tls_dir" == /* ]] || tls_dir=$(pwd)/$tls_dir
    [[ -s "$tls_dir/server-chain.pem" && -s "$tls_dir/server.key" ]] ||
        die "no server-chain.pem/server.key in $tls_dir (create them with scripts/pki.sh $tls_dir)"
    local name
    for name in socket tls_dir address server_name mtls_server_name; do
        check_value "--${name//_/-}" "${!name}"
    done
    listen=$address:$port
    mtls_listen=$address:$mtls_port
    if [[ "$address" == *:* ]]; then
        listen="[$address]:$port"
        mtls_listen="[$address]:$mtls_port"
    fi
}

# render_template TEMPLATE DEST NAME=VALUE...: writes TEMPLATE to DEST.new with each @NAME@
# outside comment lines replaced by its VALUE (in the order given); install_rendered moves it.
render_template() {
    local template=$1 dest=$2 pair
    shift 2
    local edits=()
    for pair in "$@"; do
        edits+=(-e "/^[[:space:]]*#/!s|@${pair%%=*}@|${pair#*=}|g")
    done
    sed "${edits[@]}" "$template" >"$dest.new"
}

# install_rendered DEST...: dies, showing them, when any DEST.new still has a placeholder
# outside comments; else moves each DEST.new to DEST.
install_rendered() {
    local dest
    if sed 's/#.*//' "${@/%/.new}" | grep '@[A-Z_]*@'; then
        die "placeholders left unreplaced (above)"
    fi
    for dest in "$@"; do
        mv "$dest.new" "$dest"
    done
}

# test_config PROGRAM ARGUMENTS...: runs `PROGRAM -t ARGUMENTS...` (the server's configuration
# test) and dies with its output when it fails.
test_config() {
    local program=$1 out
    shift
    if ! out=$("$program" -t "$@" 2>&1); then
        echo "$out" >&2
        die "$program -t failed for $conf"
    fi
}

# Returns whether something accepts TCP connections on HOST PORT.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The status action: says whether the instance runs; exits 1 when it does not.
report_status() {
    if pid=$(running_pid); then
        echo "$server running (pid $pid) in $rundir"
    else
        echo "$server not running in $rundir"
        exit 1
    fi
}

# start_server COMMAND...: the start action up to the server answering. Dies when the
# instance already runs; renders and checks the configuration (render, check_config), runs
# COMMAND (which starts the server in the background), and waits up to 10 s until both ports
# answer and the pid file names the running server, then sets pid and returns. On failure it
# shows the last lines of the output or error.log and dies.
start_server() {
    local out connect
    if pid=$(running_pid); then
        die "already running (pid $pid) in $rundir; use reload or stop"
    fi
    rm -f "$pidfile"
    render
    check_config
    : >"$rundir/logs/error.log"
    if ! out=$("$@" 2>&1); then
        if [[ -n "$out" ]]; then
            echo "$out" | tail -n 20 >&2
        else
            tail -n 20 "$rundir/logs/error.log" >&2 || true
        fi
        die "$server did not start (logs: $rundir/logs)"
    fi
    connect=$address
    [[ "$address" == 0.0.0.0 ]] && connect=127.0.0.1
    [[ "$address" == :: ]] && connect=::1
    for _ in $(seq 1 100); do
        if port_open "$connect" "$port" && port_open "$connect" "$mtls_port"; then
            if pid=$(running_pid); then
                return 0
            fi
            [[ -n "$wait_for_pidfile" ]] || break
        fi
        sleep 0.1
    done
    tail -n 20 "$rundir/logs/error.log" >&2 || true
    die "$server is not answering on $connect:$port and $connect:$mtls_port"
}

# reload_server SIGNAL: the reload action: dies unless the instance runs, renders and checks
# the configuration (render, check_config), sends SIGNAL to the pid (which it sets).
reload_server() {
    pid=$(running_pid) || die "not running in $rundir"
    render
    check_config
    kill -"$1" "$pid"
}

# exit_when_gone TENTHS MESSAGE: waits up to TENTHS tenths of a second for the process pid to
# be gone; prints MESSAGE and exits 0 when it is, else returns.
exit_when_gone() {
    for _ in $(seq 1 "$1"); do
        kill -0 "$pid" 2>/dev/null || { echo "$2"; exit 0; }
        sleep 0.1
    done
}

# stop_server SIGNAL [LATER_SIGNAL...]: the stop action. Sends SIGNAL and waits up to 10 s, then
# each LATER_SIGNAL in turn, waiting up to 5 s after each, and exits 0 once the instance is
# gone; at the end sends SIGKILL and dies. Exits 0 when the instance did not run.
stop_server() {
    local first=$1 signal
    shift
    if ! pid=$(running_pid); then
        echo "$server not running in $rundir"
        exit 0
    fi
    kill -"$first" "$pid" 2>/dev/null || true
    exit_when_gone 100 "$server (pid $pid) stopped"
    for signal in "$@"; do
        kill -"$signal" "$pid" 2>/dev/null || true
        exit_when_gone 50 "$server (pid $pid) stopped (SIG$signal)"
    done
    kill -KILL "$pid" 2>/dev/null || true
    if [[ $# -gt 0 ]]; then
        die "$server (pid $pid) did not stop gracefully; killed"
    fi
    die "$server (pid $pid) did not stop; killed"
}
