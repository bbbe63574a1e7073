#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer (+ AddressSanitizer) for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   build with -sanitize=fuzzer,address, run each target
#                                           SECONDS (default 30) on its seed corpus
#   scripts/fuzz.sh --replay [TARGET...]    build normally and replay each committed corpus once
#                                           (no sanitizer toolchain needed)
#
# Each target is an executable whose source defines LLVMFuzzerTestOneInput and, without
# -DFUZZING, a main that replays corpus files (see Sources/FuzzJWS). New inputs found in a run go
# to .build-fuzz/corpus/<TARGET>/ and crashes to .build-fuzz/artifacts/<TARGET>/ (neither is
# committed: copy a useful input into the seed corpus by hand).
#
# To add a target: one line below, "<executable target> <seed corpus folder>".
set -euo pipefail

TARGETS=(
  "FuzzJWS Tests/Fuzz/JWS/corpus"
  "FuzzCertificateParameter Tests/Fuzz/CertificateParameter/corpus"
)

cd "$(dirname "$0")/.."
mode=fuzz
if [[ "${1:-}" == "--replay" ]]; then
  mode=replay
  shift
fi
seconds=30
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
selected=("$@")

# Swift's crash handler reads memory that AddressSanitizer flags, hiding the real failure.
export SWIFT_BACKTRACE=enable=no

status=0
for entry in "${TARGETS[@]}"; do
  read -r target seeds <<<"$entry"
  if ((${#selected[@]} > 0)) && [[ " ${selected[*]} " != *" $target "* ]]; then continue; fi
  [[ -d "$seeds" ]] || { echo "fuzz.sh: no seed corpus at $seeds" >&2; exit 2; }
  if [[ $mode == replay ]]; then
    swift build --quiet --product "$target"
    "$(swift build --show-bin-path)/$target" "$seeds" || status=1
    continue
  fi
  swift build --quiet -c release --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz
  work=".build-fuzz/corpus/$target"
  artifacts=".build-fuzz/artifacts/$target"
  log=".build-fuzz/logs/$target.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  echo "fuzz.sh: $target for ${seconds}s (seeds: $seeds, new inputs: $work, crashes: $artifacts, output: $log)"
  # libFuzzer adds new inputs to the first folder, so the committed seeds come second. Its
  # output (progress lines, the recommended dictionary) goes to the log; a failure shows its end.
  if ".build-fuzz/release/$target" "$work" "$seeds" \
      -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
    echo "fuzz.sh: $target: ${runs:-?} runs, ${coverage:-no coverage line}, no crash"
  else
    echo "fuzz.sh: $target FAILED; the end of $log:" >&2
    tail -n 40 "$log" >&2
    status=1
  fi
  if compgen -G "$artifacts/*" >/dev/null; then
    echo "fuzz.sh: $target left artifacts in $artifacts:" >&2
    ls -l "$artifacts" >&2
    status=1
  fi
done
exit $status
