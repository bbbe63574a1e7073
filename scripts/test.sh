#!/usr/bin/env bash
# `make test`: every test, on a fresh machine as on a developer's.
#
#   1. installs what is missing (scripts/install-deps.sh: apt packages, joserfc)
#   2. builds the package and its tests
#   3. starts a throwaway PostgreSQL cluster in a temporary folder
#   4. runs the unit and integration tests (`swift test`: crypto vectors,
#      joserfc interop, domain, server, FastCGI, PostgreSQL, and the FastCGI
#      tests through real nginx and Apache, more kept-alive connections than
#      workers included)
#   5. runs the operator CLI's tests against the real binary and PostgreSQL
#      (Tests/e2e/cli.py), then the end-to-end tests: the responder behind
#      real nginx AND real Apache, driven by curl (Tests/e2e/run.py)
#   6. replays the fuzz corpora and runs each libFuzzer target briefly
#      (FUZZ_SECONDS, default 20; 0 skips the fuzzing build)
#
# Each step's full output goes to .build/test-logs/STEP.log; the terminal gets
# failures, skipped tests with their reasons, each step's summary line, and at
# the end a table of the steps with their counts, skips and times.
#
# Everything it starts it stops, also on failure or Ctrl-C.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
fuzz_seconds=${FUZZ_SECONDS:-20}
logs=$repo/.build/test-logs
mkdir -p "$logs"

# The summary table: one row per step, and every skip with its reason.
rows=()
skips=()
step_name=""
step_started=0

step() {
    step_name=$1
    step_started=$(date +%s)
    printf '\n==> %s\n' "$step_name"
}

# done_step RESULT DETAIL: ends the current step with a row in the table.
done_step() {
    rows+=("$(printf '%-38s %-8s %5ss  %s' "$step_name" "$1" "$(($(date +%s) - step_started))" "$2")")
    step_name=""
}

# Prints at most 300 characters of each line on standard input (parameterised
# test names can hold whole documents).
short() { cut -c1-300; }

summary() {
    local status=$?
    if [[ -n "$step_name" ]]; then
        done_step FAILED "see $logs"
    fi
    printf '\n==> summary (full output in %s)\n' "$logs"
    printf '%s\n' "${rows[@]}"
    if [[ ${#skips[@]} -gt 0 ]]; then
        echo "skipped:"
        printf '  %s\n' "${skips[@]}"
    else
        echo "skipped: nothing"
    fi
    if [[ $status -eq 0 ]]; then
        echo "all tests passed"
    else
        echo "make test FAILED (exit $status)"
    fi
}

work=$(mktemp -d /tmp/credence-test.XXXXXX)
chmod 0755 "$work"
cleanup() {
    local status=$?
    scripts/postgres-cluster.sh stop "$work/postgres" >/dev/null 2>&1 || true
    rm -rf "$work"
    (exit $status) || summary
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "dependencies"
scripts/install-deps.sh
done_step ok ""

step "build"
if ! swift build --build-tests >"$logs/build.log" 2>&1; then
    grep -E "error:" "$logs/build.log" | short | head -n 40 || true
    tail -n 20 "$logs/build.log" | short
    exit 1
fi
grep -E "^(Build complete|.*warning:)" "$logs/build.log" | short | sort -u | tail -n 20 || true
done_step ok ""

step "PostgreSQL for the tests"
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conninfo=$(POSTGRES_CLUSTER_FAST=1 scripts/postgres-cluster.sh start "$work/postgres" "$pg_port" | tail -n 1)
export CREDENCE_TEST_DATABASE_URL="$conninfo"
echo "$conninfo"
done_step ok ""

step "unit and integration tests"
# The joserfc interop tests must run here, never be skipped; the FastCGI tests
# through real Apache run too (about 25 s), with more reused connections than
# workers (the old keep-alive trap).
set +e
CREDENCE_REQUIRE_INTEROP=1 CREDENCE_FASTCGI_APACHE_TEST=1 \
    swift test --skip-build >"$logs/swift-test.log" 2>&1
swift_status=$?
set -e
# Failures (with the issue lines), skips, and the two summary lines (Swift Testing, XCTest).
grep -E "✘|recorded an issue| skipped|^Test Suite '.*' failed|^error: |: error: " "$logs/swift-test.log" |
    grep -v "^ts=" | short | head -n 200 || true
while IFS= read -r line; do
    skips+=("swift test: ${line#*Test }")
done < <(grep -E "^.{1,4} Test .* skipped" "$logs/swift-test.log" | short || true)
xctest=$(grep -E "Executed [0-9]+ tests?, with" "$logs/swift-test.log" | tail -n 1 | sed 's/^[[:space:]]*//' || true)
testing=$(grep -E "Test run with [0-9]+ tests?" "$logs/swift-test.log" | tail -n 1 || true)
echo "$xctest"
echo "$testing"
if [[ $swift_status -ne 0 || -z "$testing" ]]; then
    [[ -n "$testing" ]] || tail -n 40 "$logs/swift-test.log" | short
    exit 1
fi
done_step passed "$(sed -E 's/^.{1,4} Test run with ([0-9]+ tests? in [0-9]+ suites?).*/\1/' <<<"$testing") (Swift Testing), $(sed -E 's/^Executed ([0-9]+ tests?).*/\1/' <<<"$xctest") (XCTest)"

step "operator CLI (credence clients, tokens mint, maintenance)"
set +e
python3 Tests/e2e/cli.py --credence "$(swift build --show-bin-path)/credence" --database-url "$conninfo" >"$logs/cli.log" 2>&1
cli_status=$?
set -e
cli_summary=$(grep -E "[0-9]+ passed, [0-9]+ failed" "$logs/cli.log" | tail -n 1 || true)
if [[ $cli_status -ne 0 ]]; then
    tail -n 80 "$logs/cli.log" | short
    exit 1
fi
done_step passed "${cli_summary#*: }"

step "end-to-end tests (nginx and Apache)"
set +e
python3 Tests/e2e/run.py --credence "$(swift build --show-bin-path)/credence" >"$logs/e2e.log" 2>&1
e2e_status=$?
set -e
# The harness's own lines (what it measured), failures, skips, and its last line.
grep -oE "e2e: .*|^(FAIL|ERROR):.*| \.\.\. (FAIL|ERROR).*| \.\.\. skipped.*" "$logs/e2e.log" | short || true
e2e_summary=$(grep -E "^e2e: [0-9]+ passed" "$logs/e2e.log" | tail -n 1 || true)
while IFS= read -r line; do
    skips+=("e2e: $line")
done < <(grep -E " \.\.\. skipped" "$logs/e2e.log" | short || true)
if [[ $e2e_status -ne 0 ]]; then
    tail -n 120 "$logs/e2e.log" | short
    exit 1
fi
done_step passed "${e2e_summary#e2e: }"

step "fuzzing"
if [[ "$fuzz_seconds" -gt 0 ]]; then
    set +e
    scripts/fuzz.sh "$fuzz_seconds" >"$logs/fuzz.log" 2>&1
    fuzz_status=$?
    set -e
    grep -E "^fuzz.sh: |error:" "$logs/fuzz.log" | short || true
    if [[ $fuzz_status -ne 0 ]]; then
        tail -n 60 "$logs/fuzz.log" | short
        exit 1
    fi
    done_step passed "$(grep -cE '^fuzz.sh: .*, no crash' "$logs/fuzz.log" || true) targets, ${fuzz_seconds} s each"
else
    echo "skipped (FUZZ_SECONDS=0)"
    skips+=("fuzzing: FUZZ_SECONDS=0")
    done_step skipped "FUZZ_SECONDS=0"
fi

summary
