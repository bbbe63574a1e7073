#!/usr/bin/env bash
# The benchmarks: the JOSE layer, then end to end over HTTP. Prints figures; asserts no speed.
#
#   bench/run.sh [bench/http.py options]      e.g. bench/run.sh --seconds 5 --runs 3 --apache
#
# 1. bench/jose.sh: builds credence-bench (release) and prints sign/verify rates
#    of the JOSE layer next to the raw OpenSSL primitive.
# 2. Builds `credence` (release) and runs bench/http.py against it: a throwaway
#    PostgreSQL cluster, `credence serve`, nginx (and Apache with --apache),
#    loaded with wrk, next to the bare C libfcgi responder (bench/bare-responder.c)
#    behind an identical nginx and a static nginx baseline, all in the same run;
#    then POST /token for client_secret_basic, private_key_jwt and
#    tls_client_auth (bound token) with an ES256 and then a PS256 signing key,
#    against `openssl speed` and a pgbench primary-key SELECT on the same cores;
#    then POST /register (a fresh pre-generated software statement per request)
#    against a pgbench 1 KB JSONB INSERT at the same concurrency.
#    Options: --seconds N (each wrk run, default 10), --runs N (median of N),
#    --connections N, --workers N, --overload-connections N, --apache,
#    --no-token, --no-register, --only-register, --only-token, --token-scenarios LIST,
#    --no-ps256, --assertion-alg ES256|PS256,
#    --keep; see `bench/http.py --help`.
#
# Installs what the benchmark needs beyond scripts/install-deps.sh when it is
# missing: wrk (Debian package `wrk`), pgbench (`postgresql`, which carries it on
# Debian), a C compiler (`gcc`, for the bare responder and wrk's client-certificate
# shim), and joserfc (through scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v pgbench >/dev/null || missing+=(postgresql)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
[[ -e /usr/include/fcgiapp.h && -e /usr/include/openssl/ssl.h ]] || missing+=(libfcgi-dev libssl-dev)
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "bench/run.sh: installing ${missing[*]} (Debian packages)" >&2
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi
python3 -c 'import joserfc' 2>/dev/null || scripts/install-deps.sh

bench/jose.sh
echo
swift build -c release --product credence
exec python3 bench/http.py --credence "$(swift build -c release --show-bin-path)/credence" "$@"
