#!/usr/bin/env bash
# The benchmarks: the JOSE layer, then end to end over HTTP. Prints figures; asserts no speed.
#
#   bench/run.sh [bench/http.py options]      e.g. bench/run.sh --seconds 5 --apache
#
# 1. bench/jose.sh: builds credence-bench (release) and prints sign/verify rates
#    of the JOSE layer next to the raw OpenSSL primitive.
# 2. Builds `credence` (release) and runs bench/http.py against it: a throwaway
#    PostgreSQL cluster, `credence serve`, nginx (and Apache with --apache),
#    loaded with wrk, next to a static baseline measured in the same run.
#    Options: --seconds N (each wrk run, default 10), --connections N,
#    --workers N, --overload-connections N, --apache, --keep; see
#    `bench/http.py --help`.
#
# Installs wrk (Debian package `wrk`) when it is missing; everything else comes
# from scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "bench/run.sh: installing wrk (Debian package)" >&2
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q --no-install-recommends wrk ||
        { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends wrk; }
fi

bench/jose.sh
echo
swift build -c release --product credence
exec python3 bench/http.py --credence "$(swift build -c release --show-bin-path)/credence" "$@"
