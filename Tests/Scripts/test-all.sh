#!/usr/bin/env bash
# `make test`: every test, as CI runs it (.ci/run); on 2 cores 12 to 15 minutes from a fresh clone (measured 771 s
# on an idle machine, 923 s with other work on it; a machine without the cached Debian tree of systemd-test or the
# packages of the integration steps adds a few minutes).
#
#   Tests/Scripts/test-all.sh
#
# Steps (the scripts they call say what each checks):
#   build, swift-test          swift build --build-tests; the test bundle (unit, parser, NSD, fault server and fault
#                              matrix, end-to-end) in two lanes of one test at a time
#                              (Tests/Scripts/swift-test-lanes.sh)
#   tsan-build, tsan-test      the whole suite under ThreadSanitizer (Tests/Sanitizers/sanitize.sh thread)
#   asan-build, asan-test      the whole suite under AddressSanitizer + LeakSanitizer (sanitize.sh address)
#   valgrind                   memcheck of the C shim (Tests/Sanitizers/valgrind.sh)
#   valgrind-binary            memcheck of the release binary against NSD and the fault server (valgrind.sh --binary)
#   release                    the release build, for the steps after it
#   deb                        the Debian package (make deb-check: lintian, its files, the bash completion)
#   units-check, systemd-test  the shipped units (systemd-analyze) and the daemon under a real systemd
#                              (Tests/Systemd/units-check.sh, Tests/Systemd/run.sh)
#   icinga-nagios              contrib's Icinga 2, Nagios and on-change files with the real programs
#                              (Tests/Integrations/icinga-nagios-onchange.sh; 7 s, plus about 40 s to install them)
#   receivers                  rdnscheck's postfix-client and postfix-reverse verdicts against a real Postfix behind
#                              Unbound and NSD in a network namespace (Tests/Receivers/run.sh; about 10 s)
#   soak                       the release daemon for TEST_SOAK_RUNS runs (default 200; Tests/Soak/soak.sh)
#   prometheus                 contrib/'s alert rules and dashboard on Debian's prometheus and node_exporter
#                              (Tests/Integrations/prometheus.sh)
#   rate-limit                 a /20 through a relay answering 1,000 queries/s and dropping the rest (bench/relay.c),
#                              burst 1,000 and 100: NSD's answers, no temporary failure (Tests/Integrations/
#                              rate-limit.sh; about 25 s, mostly waiting on the limit)
#   fuzz-build, fuzz           every libFuzzer target for FUZZ_SECONDS (default 60) after its regression inputs,
#                              FUZZ_JOBS (default 2) at a time (Tests/Fuzz/run.sh)
#
# They run in two lanes at once. The build lane compiles, one build after the other, then fuzzes: build,
# tsan-build, asan-build, release, fuzz-build, fuzz. The test lane runs each step as soon as what it needs is built:
# valgrind, swift-test, tsan-test, asan-test, units-check, deb, systemd-test, soak. The build lane, idle after the
# fuzzers while the test lane still runs, then runs rate-limit, receivers, valgrind-binary, prometheus and
# icinga-nagios (they need the release binary and mostly wait). The test steps mostly wait (for timeouts, deadlines,
# processes), so the builds and the fuzzers get the CPU they leave. The build lane runs under
# `nice -n 10`, which holds for the fuzzers (they yield to the test steps beside them) but not for the compilers
# SwiftPM starts (seen with ps: swift-build at 10, its swift-frontend processes at 0); the suites run in two lanes
# of one test at a time, which passes with builds beside them (swift-test-lanes.sh). The fuzzers run after the last
# build, with only test steps beside them, and each prints the CPU seconds it got next to its wall seconds
# (measured in a fresh clone: 47-61 CPU seconds in 61).
#
# Each step's output goes to .build/test-logs/STEP.log; the terminal gets one line per step when it ends (its
# time and result), the tail of the log when it fails, and a table of all steps at the end. A failed step does
# not stop the others (a failed build skips the steps that need it); the script exits 1 when any step failed.
# TEST_STEP_TIMEOUT (default 900 s) stops a step that hangs. The Makefile passes SWIFT, RELEASE_FLAGS and
# RELEASE_BIN (the release binary's path), FUZZ_SECONDS and TEST_SOAK_RUNS.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
swift=${SWIFT:-swift}
make=${MAKE:-make}
read -r -a release_flags <<<"${RELEASE_FLAGS:--c release --static-swift-stdlib}"
release_bin=${RELEASE_BIN:-$root/.build/release/rdnscheck}
fuzz_seconds=${FUZZ_SECONDS:-60}
fuzz_jobs=${FUZZ_JOBS:-2}
soak_runs=${TEST_SOAK_RUNS:-200}
step_timeout=${TEST_STEP_TIMEOUT:-900}
logs=$root/.build/test-logs
rm -rf "$logs"
mkdir -p "$logs"

now() { date +%s.%N; }
started=$(now)
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }

# The lines of a step's log that say how it went.
summary() {
    local step=$1 log=$logs/$1.log
    case $step in
    build | release) grep -a -E '^Build complete' "$log" | tail -1 ;;
    swift-test) grep -a -E '^lane [0-9]: [✔✘] Test run with' "$log" ;;
    tsan-build | asan-build) grep -a -E '^sanitize.sh' "$log" | tail -1 ;;
    tsan-test | asan-test) grep -a -E '^lane [0-9]: [✔✘]|^sanitize.sh [a-z]+: build' "$log" ;;
    valgrind | valgrind-binary) grep -a -E '^valgrind.sh: (OK|FAILED)' "$log" ;;
    deb) grep -a -E '^deb-check: (OK|FAILED)' "$log" ;;
    units-check) echo "$(grep -c '^PASS' "$log") checks passed, $(grep -c '^FAIL' "$log") failed" ;;
    systemd-test) grep -a -E 'checks failed|total before container stop' "$log" | sed 's/^ *//' ;;
    icinga-nagios) grep -a -E '^(FAIL|icinga-nagios-onchange: [0-9]+ passed)' "$log" ;;
    soak) grep -a -E '^soak: ([0-9]+ runs|RSS|open descriptors|OK|FAIL)' "$log" ;;
    receivers) grep -a -E '^(receivers: [0-9]+ cases|MISMATCH)' "$log" ;;
    prometheus) grep -a -E '^prometheus.sh: (RDNSCheckAddressCritical|no other|OK)' "$log" ;;
    rate-limit) grep -a -E '^rate-limit.sh: ([a-z]+-(burst|rate)-[0-9]+:|OK)' "$log" ;;
    fuzz-build)
        grep -a -E 'regression inputs' "$log" \
            | awk '{ n += $2; t += 1 } END { printf "%d targets built, %d regression inputs pass\n", t, n }'
        ;;
    fuzz) sed -n '/^fuzzing summary/,$p' "$log" | tail -n +2 ;;
    esac
}

# run STEP NEEDS NICE COMMAND...: waits until step NEEDS (or "-") has passed, runs the command with its output in
# the step's log, and records the exit status in STEP.status and the seconds in STEP.time.
run() {
    local step=$1 needs=$2 niceness=$3 status
    shift 3
    if [[ $needs != - ]]; then
        while [[ ! -f $logs/$needs.status ]]; do sleep 1; done
        if [[ $(cat "$logs/$needs.status") != 0 ]]; then
            echo "skipped: $needs failed" >"$logs/$step.log"
            echo 0 >"$logs/$step.time"
            echo skipped >"$logs/$step.status"
            printf '%-13s SKIPPED (%s failed)\n' "$step" "$needs"
            return
        fi
    fi
    local step_started offset
    step_started=$(now)
    offset=$(since "$started")
    # timeout(1) puts the step in a process group of its own, so Ctrl-C does not reach it: stop() signals the group.
    timeout --kill-after=30 "$step_timeout" nice -n "$niceness" "$@" </dev/null >"$logs/$step.log" 2>&1 &
    echo $! >"$logs/$step.pid"
    wait $!
    status=$?
    rm -f "$logs/$step.pid"
    local seconds
    seconds=$(since "$step_started")
    echo "$offset $seconds" >"$logs/$step.time"
    echo "$status" >"$logs/$step.status"
    # One block per step, written at once, so the two lanes do not mix their lines.
    {
        if ((status == 0)); then
            printf '%-13s ok     %4s s\n' "$step" "$seconds"
            summary "$step" | sed 's/^/                 /'
        else
            printf '%-13s FAILED %4s s (exit %s%s); the end of %s:\n' "$step" "$seconds" "$status" \
                "$( ((status == 124)) && echo ", stopped after ${step_timeout} s")" "${logs#"$root"/}/$step.log"
            tail -n 40 "$logs/$step.log" | sed 's/^/  | /'
        fi
    } >"$logs/$step.report"
    cat "$logs/$step.report"
}

build_lane() {
    run build - 10 "$swift" build --build-tests
    run tsan-build - 10 Tests/Sanitizers/sanitize.sh thread --build-only
    run asan-build - 10 Tests/Sanitizers/sanitize.sh address --build-only
    run release - 10 "$swift" build "${release_flags[@]}"
    run fuzz-build - 10 Tests/Fuzz/run.sh 0
    run fuzz fuzz-build 10 env FUZZ_JOBS="$fuzz_jobs" Tests/Fuzz/run.sh "$fuzz_seconds"
    # Not niced: real servers and clients with deadlines; only the test lane's last steps are beside them by now.
    run rate-limit release 0 Tests/Integrations/rate-limit.sh "$release_bin"
    run receivers release 0 Tests/Receivers/run.sh "$release_bin"
    run valgrind-binary release 0 Tests/Sanitizers/valgrind.sh --binary "$release_bin"
    run prometheus release 0 Tests/Integrations/prometheus.sh "$release_bin"
    run icinga-nagios release 0 Tests/Integrations/icinga-nagios-onchange.sh "$release_bin"
}

test_lane() {
    run valgrind - 0 "$make" --no-print-directory valgrind-shim
    run swift-test build 0 env SWIFT="$swift" Tests/Scripts/swift-test-lanes.sh "$logs/swift-test"
    run tsan-test tsan-build 0 Tests/Sanitizers/sanitize.sh thread --skip-build
    run asan-test asan-build 0 Tests/Sanitizers/sanitize.sh address --skip-build
    # Through make: it installs systemd-analyze when it is missing (its release build is done by then).
    run units-check release 0 "$make" --no-print-directory units-check
    run deb release 0 "$make" --no-print-directory deb-check
    run systemd-test release 0 Tests/Systemd/run.sh
    run soak release 0 Tests/Soak/soak.sh "$soak_runs" "$release_bin"
}

steps=(build swift-test tsan-build tsan-test asan-build asan-test valgrind release units-check deb systemd-test soak
    fuzz-build fuzz rate-limit receivers valgrind-binary prometheus icinga-nagios)
echo "make test: ${#steps[@]} steps in two lanes; logs in ${logs#"$root"/}/"
build_lane &
build_pid=$!
test_lane &
test_pid=$!
# Ctrl-C or SIGTERM: stop both lanes, then the steps running (each a process group led by its timeout(1)).
stop() {
    trap - INT TERM
    kill -TERM "$build_pid" "$test_pid" 2>/dev/null
    local file
    for file in "$logs"/*.pid; do
        [[ -f $file ]] && kill -TERM -- "-$(cat "$file")" 2>/dev/null
    done
    wait
    echo "make test: interrupted"
    exit 130
}
trap stop INT TERM
wait "$build_pid" "$test_pid"

echo
echo "make test: step times (start after the beginning, seconds)"
failed=()
for step in "${steps[@]}"; do
    status=$(cat "$logs/$step.status" 2>/dev/null || echo "not run")
    read -r offset seconds <"$logs/$step.time" 2>/dev/null || { offset=-; seconds=-; }
    result=ok
    [[ $status == 0 ]] || { result="FAILED ($status)"; failed+=("$step"); }
    [[ $status != skipped ]] || result=skipped
    printf '  %-13s %5s %5s  %s\n' "$step" "$offset" "$seconds" "$result"
done
echo "make test: $(since "$started") s in all"
if ((${#failed[@]} > 0)); then
    echo "make test: FAILED: ${failed[*]} (logs in ${logs#"$root"/}/)"
    exit 1
fi
echo "make test: OK"
