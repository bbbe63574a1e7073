#!/usr/bin/env bash
# `make test`: every test, on a fresh machine as on a developer's.
#
#   1. installs what is missing (scripts/install-deps.sh: apt packages, joserfc)
#   2. builds the package and its tests
#   3. starts a throwaway PostgreSQL cluster in a temporary folder
#   4. runs the unit and integration tests (`swift test`: crypto vectors,
#      joserfc interop, domain, server, FastCGI, PostgreSQL)
#   5. runs the operator CLI's tests against the real binary and PostgreSQL
#      (Tests/e2e/cli.py), then the end-to-end tests: the responder behind
#      real nginx AND real Apache, driven by curl (Tests/e2e/run.py)
#   6. replays the fuzz corpora and runs each libFuzzer target briefly
#      (FUZZ_SECONDS, default 20; 0 skips the fuzzing build)
#
# Everything it starts it stops, also on failure or Ctrl-C.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
fuzz_seconds=${FUZZ_SECONDS:-20}

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh

step "build"
start=$(date +%s)
swift build --build-tests
echo "build took $(($(date +%s) - start)) s"

work=$(mktemp -d /tmp/credence-test.XXXXXX)
chmod 0755 "$work"
cleanup() {
    scripts/postgres-cluster.sh stop "$work/postgres" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

step "PostgreSQL for the tests"
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conninfo=$(POSTGRES_CLUSTER_FAST=1 scripts/postgres-cluster.sh start "$work/postgres" "$pg_port" | tail -n 1)
export CREDENCE_TEST_DATABASE_URL="$conninfo"
echo "$conninfo"

step "unit and integration tests"
start=$(date +%s)
# The joserfc interop tests must run here, never be skipped.
CREDENCE_REQUIRE_INTEROP=1 swift test --skip-build
echo "swift test took $(($(date +%s) - start)) s"

step "operator CLI (credence clients, tokens mint, maintenance)"
python3 Tests/e2e/cli.py --credence "$(swift build --show-bin-path)/credence" --database-url "$conninfo"

step "end-to-end tests (nginx and Apache)"
start=$(date +%s)
python3 Tests/e2e/run.py --credence "$(swift build --show-bin-path)/credence"
echo "end-to-end tests took $(($(date +%s) - start)) s"

step "fuzzing"
if [[ "$fuzz_seconds" -gt 0 ]]; then
    scripts/fuzz.sh "$fuzz_seconds"
else
    echo "skipped (FUZZ_SECONDS=0)"
fi

step "all tests passed"
