#!/bin/sh
# Builds the CredenceJSON throughput check with optimisation and runs it.
# Usage: bench/json/run.sh   (from the repository root or anywhere)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/credence-json-bench
swiftc -O -wmo -module-name CredenceJSONBench -o "$out" -Xlinker -lm \
    $(find "$root/Sources/CredenceJSON" -name '*.swift') "$root/bench/json/main.swift"
"$out"
