#!/usr/bin/env bash
# Builds the libFuzzer targets in Tests/Fuzz and runs each for a bounded time.
#
#   Tests/Fuzz/run.sh [SECONDS] [TARGET...]     default: 60 seconds, every target, one after the other
#   FUZZ_JOBS=2 Tests/Fuzz/run.sh               two targets at a time (one core each)
#   Tests/Fuzz/run.sh 0 [TARGET...]             build, and run only the regression inputs
#
# Each target is built with `swiftc -sanitize=fuzzer,address` against the RDNSCore sources (compiled once as a
# static library) plus the few other files it fuzzes, into .build/fuzz; a build is reused while its sources,
# flags and compiler are unchanged. Then, per target:
#   1. every file in Tests/Fuzz/TARGET/regressions/ is run once (inputs that crashed once must not again);
#   2. libFuzzer runs for SECONDS on a scratch copy of Tests/Fuzz/TARGET/corpus/ in .build/fuzz/corpus/TARGET
#      (the committed corpus is never written; FUZZ_KEEP_CORPUS=1 keeps the scratch corpus of earlier runs);
#   3. the executions, coverage, and the fuzzer's wall and CPU seconds are printed; a crash, hang (-timeout=5) or
#      memory blow-up (-rss_limit_mb=2048) prints the input libFuzzer saved in .build/fuzz/artifacts/TARGET/ and
#      the top of the report.
# The full logs are in .build/fuzz/logs/TARGET.log. Exits 1 when any target crashed or failed to build.
#
# Reproduce a crash:      .build/fuzz/bin/TARGET INPUT
# Minimise it:            .build/fuzz/bin/TARGET -minimize_crash=1 -runs=100000 INPUT
set -euo pipefail

# Everything runs from main, so bash has read the whole file before it starts, and exits on main's line: editing
# this script while it runs (it runs for minutes) cannot change what the running copy does.
main() {
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    cd "$root"

    all_targets=(dns-message configuration state-file addresses command-line)
    duration=${1:-60}
    [[ $duration =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
    shift $(($# > 0 ? 1 : 0))
    targets=("$@")
    [[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
    for target in "${targets[@]}"; do
        [[ -f Tests/Fuzz/$target/main.swift ]] || { echo "run.sh: no fuzz target '$target'" >&2; exit 2; }
    done

    SWIFTC=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
    toolchain_bin=$(dirname "$(readlink -f "$SWIFTC")")
    out=.build/fuzz
    flags=(-sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g)
    # lld quiets gold's "Cannot export local symbol __asan_..." warnings; gold works too.
    [[ -x $toolchain_bin/ld.lld ]] && flags+=(-use-ld=lld)
    mkdir -p "$out/bin" "$out/core" "$out/logs" "$out/stamps"

    # A hash of the compiler, the flags and every input file (names and contents).
    fingerprint() {
        { "$SWIFTC" --version 2>&1; echo "${flags[*]}"; for file in "$@"; do echo "== $file"; cat "$file"; done; } \
            | sha256sum | cut -d' ' -f1
    }

    # The files each target compiles besides its main.swift, and the extra compiler arguments they need.
    target_sources() {
        case $1 in
            command-line)
                # The options (the escaping that error lines get when printed is RDNSCore's `OneLine`).
                echo Sources/RDNSCommand/CommandLineOptions.swift
                ;;
            dns-message)
                # The reply path of the resolvers: OutcomeClassifier and the pipelined engine's reply matching.
                echo Sources/RDNSResolver/OutcomeClassifier.swift
                [[ ! -f Sources/RDNSEngine/QueryMessage.swift ]] \
                    || echo Sources/RDNSEngine/QueryMessage.swift
                ;;
        esac
    }

    # On one line: the caller splits it into words.
    target_arguments() {
        case $1 in
            dns-message)
                echo -n "-I CResolv/include"
                [[ ! -f Sources/RDNSEngine/QueryMessage.swift ]] || echo -n " -D FUZZ_QUERY_MESSAGE"
                echo
                ;;
        esac
    }

    # RDNSCore and the one module it imports, RDNSPOSIX (the POSIX idioms), as two static libraries.
    build_core() {
        local posix sources stamp
        mapfile -t posix < <(find Sources/RDNSPOSIX -name '*.swift' | LC_ALL=C sort)
        mapfile -t sources < <(find Sources/RDNSCore -name '*.swift' | LC_ALL=C sort)
        stamp=$(fingerprint "${posix[@]}" "${sources[@]}")
        if [[ -f $out/core/libRDNSCore.a && $(cat "$out/stamps/core" 2>/dev/null) == "$stamp" ]]; then return 0; fi
        echo "building RDNSPOSIX and RDNSCore (fuzzer, address sanitizer)"
        rm -f "$out/stamps/core"
        "$SWIFTC" "${flags[@]}" -module-name RDNSPOSIX -emit-module \
            -emit-module-path "$out/core/RDNSPOSIX.swiftmodule" -emit-library -static \
            -o "$out/core/libRDNSPOSIX.a" "${posix[@]}" || return 1
        "$SWIFTC" "${flags[@]}" -module-name RDNSCore -I "$out/core" -emit-module \
            -emit-module-path "$out/core/RDNSCore.swiftmodule" -emit-library -static \
            -o "$out/core/libRDNSCore.a" "${sources[@]}" || return 1
        echo "$stamp" >"$out/stamps/core"
    }

    build_target() {
        local target=$1 sources arguments stamp
        mapfile -t sources < <(target_sources "$target")
        read -r -a arguments <<<"$(target_arguments "$target")"
        local headers=()
        [[ ${#arguments[@]} -eq 0 ]] || mapfile -t headers < <(find CResolv/include -type f | LC_ALL=C sort)
        stamp=$(fingerprint "$out/core/libRDNSCore.a" "Tests/Fuzz/$target/main.swift" "${sources[@]}" "${headers[@]}")
        stamp="$stamp ${arguments[*]}"
        if [[ -x $out/bin/$target && $(cat "$out/stamps/$target" 2>/dev/null) == "$stamp" ]]; then return 0; fi
        echo "building $target"
        rm -f "$out/stamps/$target"
        local module
        module=Fuzz$(echo "$target" | sed -E 's/(^|-)([a-z])/\U\2/g')
        "$SWIFTC" "${flags[@]}" -module-name "$module" -I "$out/core" -L "$out/core" -lRDNSCore -lRDNSPOSIX "${arguments[@]}" \
            "Tests/Fuzz/$target/main.swift" "${sources[@]}" -o "$out/bin/$target" || return 1
        echo "$stamp" >"$out/stamps/$target"
    }

    # Builds are shared between concurrent runs of this script; one builds while the others wait. (The builders
    # return 1 themselves: `set -e` does not apply inside a function called before `||`.)
    exec 9>"$out/build.lock"
    flock 9
    failed=()
    build_core || { echo "run.sh: RDNSCore does not build" >&2; exit 1; }
    for target in "${targets[@]}"; do
        build_target "$target" || { echo "run.sh: $target does not build" >&2; failed+=("$target (build)"); }
    done
    flock -u 9

    export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:symbolize=1}
    # Swift's own crash backtracer reads the crashed thread's stack, which AddressSanitizer reports as a
    # stack-buffer-underflow that hides the real failure; libFuzzer prints the stack instead.
    export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
    [[ ! -x $toolchain_bin/llvm-symbolizer ]] || export ASAN_SYMBOLIZER_PATH=$toolchain_bin/llvm-symbolizer
    demangle() {
        if [[ -x $toolchain_bin/swift-demangle ]]; then "$toolchain_bin/swift-demangle" --simplified; else cat; fi
    }
    libfuzzer_options=(-rss_limit_mb=2048 -timeout=5)

    # The top of a crash report: from the first error line, at most 40 lines, demangled.
    report_excerpt() {
        local first
        local errors='(Fatal error|==[0-9]+== ?ERROR|ERROR: libFuzzer|ALARM|SUMMARY)'
        first=$(grep -a -n -m1 -E "$errors" "$1" | cut -d: -f1) || true
        first=${first:-1}
        sed -n "${first},$((first + 39))p" "$1" | demangle | sed 's/^/    /'
    }

    # One target: regressions, then fuzzing. Everything it prints goes to $out/logs/TARGET.out (shown when it ends,
    # so targets running at once do not mix their lines), its summary line to TARGET.summary and a failure to
    # TARGET.failed.
    fuzz_target() {
        local target=$1 bin=$out/bin/$1 log=$out/logs/$1.log input status regressions=0
        local failures=() line
        rm -f "$out/logs/$target.summary" "$out/logs/$target.failed"

        # 1. Regressions: each saved input once.
        if [[ -d Tests/Fuzz/$target/regressions ]]; then
            while IFS= read -r -d '' input; do
                regressions=$((regressions + 1))
                # timeout(1) too: libFuzzer's -timeout alarm can miss when it runs a single input.
                status=0
                timeout 60 "$bin" "${libfuzzer_options[@]}" "$input" </dev/null \
                    >"$out/logs/$target.regression.log" 2>&1 || status=$?
                if [[ $status -ne 0 ]]; then
                    echo "$target: REGRESSION: $input fails again (crash, hang or memory limit)"
                    [[ $status -ne 124 ]] || echo "    still running after 60 s: stopped by timeout(1)"
                    report_excerpt "$out/logs/$target.regression.log"
                    failures+=("$target (regression $(basename "$input"))")
                fi
            done < <(find "Tests/Fuzz/$target/regressions" -type f ! -name '*.md' -print0 | sort -z)
        fi

        if [[ $duration -eq 0 ]]; then
            printf '%-14s %s regression inputs\n' "$target" "$regressions" >"$out/logs/$target.summary"
        else
            # 2. Fuzzing on a scratch corpus.
            local corpus=$out/corpus/$target artifacts=$out/artifacts/$target/ dictionary=()
            [[ ${FUZZ_KEEP_CORPUS:-0} == 1 ]] || rm -rf "$corpus"
            mkdir -p "$corpus" "$artifacts"
            cp -p Tests/Fuzz/"$target"/corpus/* "$corpus"/ 2>/dev/null || true
            [[ ! -f Tests/Fuzz/$target/dictionary ]] || dictionary=(-dict="Tests/Fuzz/$target/dictionary")
            echo "$target: fuzzing for ${duration}s (after $regressions regression inputs)"
            status=0
            # The CPU time the fuzzer got, next to the wall time it ran: with other work on the machine (or
            # FUZZ_JOBS above the number of free cores) the two differ, and the executions with them.
            local TIMEFORMAT='%R %U %S' times
            { time "$bin" "${libfuzzer_options[@]}" -max_total_time="$duration" -print_final_stats=1 \
                -artifact_prefix="$artifacts" "${dictionary[@]}" "$corpus" >"$log" 2>&1; } \
                2>"$out/logs/$target.time" || status=$?
            read -r wall user system <"$out/logs/$target.time" || true
            times=$(awk -v w="${wall:-0}" -v u="${user:-0}" -v s="${system:-0}" \
                'BEGIN { printf "%.0f s, CPU %.0f s", w, u + s }')

            # 3. Figures, and the crash if there was one.
            local executions speed coverage edges features units size crash kind
            executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
            speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
            coverage=$(grep -a -E '^#[0-9]+.* cov: ' "$log" | tail -1 \
                | sed -E 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+)\/([0-9a-zA-Z]+).*/\1 \2 \3 \4/')
            read -r edges features units size <<<"${coverage:-? ? ? ?}"
            local format='%-14s %12s executions %8s/s   coverage: %5s edges %6s features   corpus: %5s inputs %8s   %s'
            # shellcheck disable=SC2059  # the format is the line above
            line="$(printf "$format" "$target" "${executions:-?}" "${speed:-?}" "$edges" "$features" "$units" "$size" \
                "$times")"
            if [[ $status -ne 0 ]]; then
                crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
                kind=$(sed -n 's/^SUMMARY: //p' "$log" | head -1)
                line+="   CRASH: ${crash:-no input saved, see $log}"
                failures+=("$target")
                echo "$target: CRASH (${kind:-exit $status}): ${crash:-see $log}"
                report_excerpt "$log"
            fi
            echo "$line"
            echo "$line" >"$out/logs/$target.summary"
        fi
        [[ ${#failures[@]} -eq 0 ]] || printf '%s\n' "${failures[@]}" >"$out/logs/$target.failed"
    }

    # FUZZ_JOBS targets at a time (default 1). Each fuzzer is one process on one core: more jobs than free cores
    # share them, and each target's CPU seconds (printed) fall below its wall seconds.
    parallel=${FUZZ_JOBS:-1}
    [[ $parallel =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: FUZZ_JOBS must be a positive number" >&2; exit 2; }
    runnable=()
    for target in "${targets[@]}"; do
        [[ -x $out/bin/$target && -f $out/stamps/$target ]] && runnable+=("$target")
    done
    declare -A running=()
    # Waits for one of the running targets and prints what it printed.
    finish_one() {
        local pid=''
        wait -n -p pid "${!running[@]}" || true
        [[ -n $pid ]] || return 0
        cat "$out/logs/${running[$pid]}.out"
        unset "running[$pid]"
    }
    for target in "${runnable[@]}"; do
        if ((parallel == 1)); then
            fuzz_target "$target"
            continue
        fi
        while ((${#running[@]} >= parallel)); do finish_one; done
        fuzz_target "$target" >"$out/logs/$target.out" 2>&1 &
        running[$!]=$target
    done
    while ((${#running[@]} > 0)); do finish_one; done

    summary=()
    for target in "${runnable[@]}"; do
        [[ ! -f $out/logs/$target.summary ]] || summary+=("$(cat "$out/logs/$target.summary")")
        [[ ! -f $out/logs/$target.failed ]] || mapfile -t -O "${#failed[@]}" failed <"$out/logs/$target.failed"
        [[ -f $out/logs/$target.summary || -f $out/logs/$target.failed ]] || failed+=("$target (no result)")
    done

    echo
    echo "fuzzing summary (${duration}s per target, $parallel at a time; logs in $out/logs):"
    [[ ${#summary[@]} -eq 0 ]] || printf '  %s\n' "${summary[@]}"
    if [[ ${#failed[@]} -gt 0 ]]; then
        echo "FAILED: ${failed[*]}"
        exit 1
    fi
    echo "no crashes"
}

# On one line with main: bash reads no further in this file once main has returned.
main "$@"; exit
