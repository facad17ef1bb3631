#!/usr/bin/env bash
# The Swift test suite in two lanes at once, each lane one test at a time, for `make test` and sanitize.sh.
#
#   Tests/Scripts/swift-test-lanes.sh LOG_DIR [swift test arguments]
#
# Lane 1 is the RDNSResolverTests module (fault matrix, fault server, NSD: 29 tests; measured 42-59 s plain, 35-87 s
# under a sanitizer); lane 2 is every other module (266 tests; 23-77 s). Both run `swift test --skip-build --no-parallel`
# with the given arguments, at the same time, with --ignore-lock: SwiftPM otherwise lets one `swift test` at a time
# use a scratch path, and with --skip-build neither writes the build.
#
# Why lanes: fully parallel (plain `swift test`) on 2 cores, the suite starts every test at once and the process
# stalls for 3-17 s at its start, past the timing assertions of FaultServerTests, FaultMatrixTests and DaemonTests
# (measured: plain, 3 runs in 10 failed, with 1 to 10 issues; ASan 22 issues, TSan 18). One test at a time passes
# but takes the sum of the suites' waits (ASan 81 s, TSan 86 s); two serial lanes pass in about half of that.
#
# Each lane's full output is in LOG_DIR/test-lane-N.log; printed are each lane's failures and its result line.
# Exits 1 when a lane failed.
set -uo pipefail

swift=${SWIFT:-swift}
logs=${1:?usage: swift-test-lanes.sh LOG_DIR [swift test arguments]}
shift
mkdir -p "$logs"
lane_arguments=(
    "--filter ^RDNSResolverTests\\."
    "--skip ^RDNSResolverTests\\."
)
pids=()
for lane in 1 2; do
    read -r -a selection <<<"${lane_arguments[lane - 1]}"
    "$swift" test --skip-build --no-parallel --ignore-lock "${selection[@]}" "$@" >"$logs/test-lane-$lane.log" 2>&1 &
    pids+=($!)
done
status=0
for lane in 1 2; do
    lane_status=0
    wait "${pids[lane - 1]}" || lane_status=$?
    ((lane_status == 0)) || status=1
    log=$logs/test-lane-$lane.log
    # Failures: swift-testing marks them with ✘ (the run's result line is printed below), XCTest with "error:".
    grep -a -E '^✘|error: ' "$log" | grep -a -v -E '^✘ Test run with' | head -40 | sed "s/^/lane $lane: /" || true
    result=$(grep -a -E '^[✔✘] Test run with' "$log" | tail -1) || true
    echo "lane $lane: ${result:-no result line (exit $lane_status), see $log}"
done
exit "$status"
