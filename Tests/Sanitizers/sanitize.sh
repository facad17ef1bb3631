#!/usr/bin/env bash
# The whole test suite under a sanitizer, for `make sanitize` (and `make test`).
#
#   Tests/Sanitizers/sanitize.sh address|thread [--build-only|--skip-build] [extra test bundle arguments]
#
# Builds into .build-asan or .build-tsan (so the normal .build is left alone) with `swift build --sanitize=...` and
# runs every test with the sanitized test bundle (run directly, never through `swift test`: see
# Tests/Scripts/swift-test-lanes.sh); --build-only stops after the build, --skip-build runs the tests of an earlier one
# (`make test` builds while other steps run tests). The end-to-end tests spawn the rdnscheck built there, so it is
# sanitized too. Each process writes its sanitizer reports to its own file under <scratch>/sanitizer-reports/
# (log_path), since a spawned daemon's stderr is only seen by the test that reads it: the script fails if any
# report is left, whatever the tests said, and prints them.
#
# address: ASan + LeakSanitizer, with Tests/Sanitizers/lsan.supp for the leaks of Foundation's Process and
#          XCTest in the test runner (not ours, see the file).
# thread:  TSan with Tests/Sanitizers/tsan.supp. ThreadSanitizer only runs a signal handler when the thread makes
#          an intercepted call, and glibc's read() inside res_nquery's TCP path is not one, so CResolv's deadline
#          signal never lands there and a lookup against a stalled TCP server hangs for ever (google/sanitizers#838,
#          #1813): the test of that (FaultServerTests.stalledTCPEndsAtDeadline) is skipped, and FaultMatrixTests
#          leaves that case out by itself. TSan sleeps atexit_sleep_ms (default 1000) in every process before it
#          exits, to catch races with threads still running; the end-to-end tests start a few hundred rdnscheck
#          processes, so that second alone was 2 of the 3.5 minutes of tests. It is 50 ms here (TSAN_OPTIONS
#          can set it back: a later setting wins).
#
# Tests run in two lanes at once, each one test at a time (Tests/Scripts/swift-test-lanes.sh: RDNSResolverTests, and
# every other module; full output in <scratch>/test-lane-N.log). SANITIZE_LANES=1 runs every test one at a time in
# one process; SANITIZE_PARALLEL=1 runs them all in parallel in one process, as plain `swift test` does. Fully parallel on 2 cores
# the sanitized suite stalls for 5-17 s at its start and the timing assertions of FaultServerTests and DaemonTests
# fail (measured: ASan 22 issues, TSan 18); serial and in two lanes it passes (measured on 2 cores: ASan 81 s of
# tests serial, 47 s in two lanes; TSan 86 s serial, 38 s in two lanes).
# Prints the build and test wall times.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kind=${1:-}
shift || true
phases=all
case ${1:-} in
--build-only) phases='build'; shift ;;
--skip-build) phases='test'; shift ;;
esac
case $kind in
address) scratch=$root/.build-asan ;;
thread) scratch=$root/.build-tsan ;;
*) echo "usage: $0 address|thread [--build-only|--skip-build] [test bundle arguments]" >&2; exit 2 ;;
esac
swift=${SWIFT:-swift}
reports=$scratch/sanitizer-reports
cd "$root"

seconds() { date +%s.%N; }
build_seconds=0
if [[ $phases != test ]]; then
    build_started=$(seconds)
    "$swift" build --build-tests --sanitize="$kind" --scratch-path "$scratch"
    build_seconds=$(echo "$(seconds) - $build_started" | bc)
    if [[ $phases == build ]]; then
        echo "sanitize.sh $kind: build ${build_seconds%.*} s"
        exit 0
    fi
fi

rm -rf "$reports"
mkdir -p "$reports"
bundle=$scratch/debug/rdnscheckPackageTests.xctest
test_arguments=()
if [[ $kind == address ]]; then
    export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan:${ASAN_OPTIONS:-}"
    export LSAN_OPTIONS="suppressions=$root/Tests/Sanitizers/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
else
    tsan_options=suppressions=$root/Tests/Sanitizers/tsan.supp:second_deadlock_stack=1:log_path=$reports/tsan
    export TSAN_OPTIONS="$tsan_options:atexit_sleep_ms=50:${TSAN_OPTIONS:-}"
    test_arguments+=(--skip 'stalledTCPEndsAtDeadline')
fi

test_started=$(seconds)
status=0
if [[ ${SANITIZE_PARALLEL:-0} == 1 ]]; then
    "$bundle" --testing-library swift-testing "${test_arguments[@]}" "$@" || status=$?
elif [[ ${SANITIZE_LANES:-2} == 1 ]]; then
    "$bundle" --testing-library swift-testing --no-parallel "${test_arguments[@]}" "$@" || status=$?
else
    "$root/Tests/Scripts/swift-test-lanes.sh" "$scratch" "$bundle" "${test_arguments[@]}" "$@" || status=$?
fi
test_seconds=$(echo "$(seconds) - $test_started" | bc)

found=0
for report in "$reports"/*; do
    [[ -s $report ]] || continue
    found=$((found + 1))
    echo "=== $report"
    cat "$report"
done
echo
echo "sanitize.sh $kind: build ${build_seconds%.*} s, tests ${test_seconds%.*} s; tests exit $status;" \
    "$found report file(s) in $reports"
if ((status != 0 || found != 0)); then
    echo "sanitize.sh $kind: FAILED" >&2
    exit 1
fi
echo "sanitize.sh $kind: OK"
