#!/usr/bin/env bash
# The Swift test suite in two lanes at once, each lane one test at a time, for `make test` and sanitize.sh.
#
#   Tests/Scripts/swift-test-lanes.sh LOG_DIR [BUNDLE [test arguments]]
#
# BUNDLE is the test executable SwiftPM built (default .build/debug/rdnscheckPackageTests.xctest; a sanitizer
# build's is SCRATCH/debug/rdnscheckPackageTests.xctest); the test arguments go to it (`--skip REGEX`, ...).
#
# Lane 1 is the RDNSResolverTests module (fault matrix, fault server, NSD); lane 2 is every other module. Both run
# the bundle's Swift Testing entry point directly, one test at a time (--no-parallel), at the same time.
#
# Why the bundle and not `swift test --skip-build`: SwiftPM rewrites the scratch path's build description even with
# --skip-build, so two `swift test` processes on one scratch path (or one beside the release build of make test's
# other lane) raced: "error: unexpected top-level node", "unable to load build file", "no tests found". The bundle
# only reads what is built, so nothing here touches SwiftPM's files.
#
# Plain `swift test` (every test at once) passes on 2 cores too, and is faster: 35 s against 100 s for the two
# lanes here (a normal debug build, quiet machine). The lanes stay for the sanitizer builds, whose every test
# running at once stalled the process for 5-17 s (see Tests/Sanitizers/sanitize.sh), and for make test, which runs
# the suite beside its other builds.
#
# Each lane's full output is in LOG_DIR/test-lane-N.log; printed are each lane's failures and its result line.
# Exits 1 when a lane failed (or ran no test).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
logs=${1:?usage: swift-test-lanes.sh LOG_DIR [BUNDLE [test arguments]]}
bundle=${2:-$root/.build/debug/rdnscheckPackageTests.xctest}
shift $(($# < 2 ? $# : 2))
if [[ ! -x $bundle ]]; then
    echo "swift-test-lanes.sh: no test bundle at $bundle (run 'swift build --build-tests' first)" >&2
    exit 2
fi
mkdir -p "$logs"
lane_arguments=(
    "--filter ^RDNSResolverTests\\."
    "--skip ^RDNSResolverTests\\."
)
pids=()
for lane in 1 2; do
    read -r -a selection <<<"${lane_arguments[lane - 1]}"
    NO_COLOR=1 "$bundle" --testing-library swift-testing --no-parallel "${selection[@]}" "$@" \
        >"$logs/test-lane-$lane.log" 2>&1 &
    pids+=($!)
done
status=0
for lane in 1 2; do
    lane_status=0
    wait "${pids[lane - 1]}" || lane_status=$?
    log=$logs/test-lane-$lane.log
    # Failures are marked with ✘ (the run's result line is printed below).
    grep -a -E '^✘|error: ' "$log" | grep -a -v -E '^✘ Test run with' | head -40 | sed "s/^/lane $lane: /" || true
    result=$(grep -a -E '^[✔✘] Test run with' "$log" | tail -1) || true
    # A lane that selected nothing passes with "0 tests": that is a broken selection, not a pass.
    if [[ $result =~ with\ 0\ tests ]]; then lane_status=1; fi
    ((lane_status == 0)) || status=1
    echo "lane $lane: ${result:-no result line (exit $lane_status), see $log}"
done
exit "$status"
