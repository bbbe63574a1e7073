#!/usr/bin/env bash
# Builds credence-bench in release mode and prints sign/verify operations per second for ES256,
# PS256 and EdDSA through the JOSE layer next to the raw OpenSSLCrypto primitive and
# `openssl speed`. Extra arguments go to the benchmark (--seconds S, --no-openssl-speed).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product credence-bench
exec "$(swift build -c release --show-bin-path)/credence-bench" "$@"
