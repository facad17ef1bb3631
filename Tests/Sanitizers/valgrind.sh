#!/usr/bin/env bash
# valgrind memcheck on the C shim (CResolv/cresolv.c over glibc's libresolv), for `make valgrind`; or on the whole
# rdnscheck binary (the pipelined engine, RDNSEngine, and its C socket calls, CSocket/csocket.c, included).
#
#   Tests/Sanitizers/valgrind.sh [ROUNDS]          the shim (ROUNDS default 20; CI can use the default)
#   Tests/Sanitizers/valgrind.sh --binary PATH     the release binary PATH
#
# Builds Tests/Sanitizers/cresolv_leakcheck.c with CResolv/cresolv.c and -lresolv into .build-valgrind/, starts
# NSD on the zones in Tests/Zones (Tests/Scripts/nsd-demo.sh) and the fault server Tests/Soak/faultdns.py on free
# loopback ports (127.0.0.1 and ::1 when the host has IPv6 loopback), and runs the program under
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
# It looks up through IPv4 and IPv6 nameservers, with one resolver per phase and with open/close per round,
# NXDOMAIN/NODATA/answers, SERVFAIL, REFUSED, nothing listening, UDP timeouts, truncation then TCP answers,
# a 4.8 kB TCP answer, TCP resets, a stalled TCP connection cut by the deadline, garbage, and 4 threads at once,
# and prints per phase the bytes lost and the descriptors left open (see the program's header). Fails on any
# memcheck error, any definitely or indirectly lost byte, a descriptor left open, or a lookup of the wrong kind.
# Needs clang (or $CC), valgrind, python3 and nsd; the log is .build-valgrind/valgrind.log.
#
# --binary runs `rdnscheck --once` under the same memcheck settings against the same servers: the demo
# configuration against NSD (answers, mismatches, CNAMEs, IPv6; UDP GSO batches), a /24 against NSD, and
# 203.0.113.0/28 against the fault server (SERVFAIL, REFUSED, garbage, timeouts, truncation then TCP that stalls,
# resets or answers, a hostile name, a CNAME loop). valgrind 3.19 cannot read the DWARF 5 Swift writes, so it runs
# a copy without debug information (strip -g). Fails on any memcheck error or definitely or indirectly lost byte;
# the log is .build-valgrind/valgrind-binary.log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=""
if [[ ${1:-} == --binary ]]; then
    binary=${2:?usage: $0 --binary PATH}
    [[ -x $binary ]] || { echo "valgrind.sh: $binary is not an executable (make release)" >&2; exit 2; }
    set -- 0
fi
rounds=${1:-20}
[[ $rounds =~ ^[0-9]+$ ]] || { echo "usage: $0 [ROUNDS] | --binary PATH" >&2; exit 2; }
build=${VALGRIND_BUILD_DIR:-$root/.build-valgrind}
# clang, as SwiftPM builds CResolv, unless CC says otherwise (GCC once showed a bug clang hid: see README.md).
cc=${CC:-$(command -v clang || echo cc)}
mkdir -p "$build"

for tool in valgrind python3 "$cc"; do
    command -v "$tool" >/dev/null || { echo "valgrind.sh: $tool is not installed" >&2; exit 2; }
done
[[ -f /usr/include/valgrind/memcheck.h ]] || { echo "valgrind.sh: valgrind's headers are missing" >&2; exit 2; }

# DWARF 4: valgrind 3.19 cannot read the DWARF 5 that recent clang writes by default.
"$cc" -std=gnu11 -g -gdwarf-4 -O1 -Wall -Wextra -Wno-missing-field-initializers -I "$root/CResolv/include" \
    "$root/CResolv/cresolv.c" "$root/Tests/Sanitizers/cresolv_leakcheck.c" -lresolv -lpthread \
    -o "$build/cresolv_leakcheck"

ipv6=0
if grep -qi '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then ipv6=1; fi

# A port free for UDP and TCP on 127.0.0.1 (and ::1), released again: NSD binds it next; or left closed.
free_port() {
    python3 "$root/Tests/Scripts/free-port.py" $( ((ipv6)) && echo --ipv6)
}

nsd_dir="$build/nsd"
fault_pid=""
cleanup() {
    if [[ -n $fault_pid ]]; then kill "$fault_pid" 2>/dev/null || true; wait "$fault_pid" 2>/dev/null || true; fi
    "$root/Tests/Scripts/nsd-demo.sh" stop "$nsd_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

nsd_port=$(free_port)
"$root/Tests/Scripts/nsd-demo.sh" start "$nsd_dir" "$nsd_port" >/dev/null

rm -f "$build/fault.port"
fault_args=(--port-file "$build/fault.port" --upstream "127.0.0.1:$nsd_port")
((ipv6)) && fault_args+=(--ipv6)
python3 "$root/Tests/Soak/faultdns.py" "${fault_args[@]}" &
fault_pid=$!
for _ in $(seq 100); do [[ -s $build/fault.port ]] && break; sleep 0.1; done
[[ -s $build/fault.port ]] || { echo "valgrind.sh: the fault server did not start" >&2; exit 1; }
fault_port=$(cat "$build/fault.port")
closed_port=$(free_port)

echo "valgrind.sh: NSD on port $nsd_port, fault server on $fault_port, nothing on $closed_port$( ((ipv6)) || echo ", no IPv6")"

if [[ -n $binary ]]; then
    strip -g -o "$build/rdnscheck-nodebug" "$binary"
    log=$build/valgrind-binary.log
    : >"$log"
    started=$(date +%s.%N)
    failed=0
    # rdnscheck exits 0-3 with the run's status; memcheck's own failure is exit 99.
    runs=(
        "-c $root/config/demo.conf --nameserver 127.0.0.1:$nsd_port"
        "--nameserver 127.0.0.1:$nsd_port 192.0.2.0/24"
        "--timeout 1s --nameserver 127.0.0.1:$fault_port 203.0.113.0/28"
    )
    for arguments in "${runs[@]}"; do
        read -r -a words <<<"$arguments"
        echo "== rdnscheck --once ${words[*]}" >>"$log"
        status=0
        timeout "${VALGRIND_TIME_LIMIT:-600}" \
            valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
            "$build/rdnscheck-nodebug" --once "${words[@]}" >>"$log" 2>&1 || status=$?
        summary=$(grep -a -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== *//')
        lost=$(grep -a -E "definitely lost|indirectly lost" "$log" | tail -2 | sed 's/^==[0-9]*== *//' | tr -s ' ' \
            | paste -sd ';' -)
        echo "valgrind.sh: rdnscheck --once ${words[*]}: exit $status; $summary; ${lost:-no leaks}"
        if ((status > 3)); then failed=1; fi
    done
    elapsed=$(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || echo "?")
    echo "valgrind.sh: ${elapsed%.*} s; full log: $log"
    if ((failed)); then
        echo "valgrind.sh: FAILED: see the lines above and the log" >&2
        exit 1
    fi
    echo "valgrind.sh: OK: the binary has no memcheck errors and loses nothing"
    exit 0
fi
program_args=("$nsd_port" "$fault_port" "$closed_port" "$rounds")
((ipv6)) || program_args+=(--no-ipv6)
started=$(date +%s.%N)
status=0
# The program prints one line per phase (see its header); valgrind's own report goes to the log, of which the
# final summary is shown (the per-phase leak checks in between are the program's figures).
# A time limit, so a lookup that never ends (a deadline that does not fire) fails the run instead of hanging CI.
timeout "${VALGRIND_TIME_LIMIT:-600}" \
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 --track-fds=yes \
    --log-file="$build/valgrind.log" "$build/cresolv_leakcheck" "${program_args[@]}" || status=$?
elapsed=$(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || echo "?")

echo
# Everything after the program's last phase: the exit report (leak summary, open descriptors, error summary).
awk '/FILE DESCRIPTORS|HEAP SUMMARY/ { keep = 1 } keep' "$build/valgrind.log" | grep -vE "^==[0-9]+== *$" \
    | sed 's/^==[0-9]*== */valgrind: /' \
    | grep -E "in use at exit|total heap|freed|lost|reachable|FILE DESCRIPTORS|Open|inherited|ERROR SUMMARY|at 0x|by 0x" \
    | head -40 || true
echo "valgrind.sh: ${elapsed%.*} s; full log: $build/valgrind.log"
if ((status != 0)); then
    echo "valgrind.sh: FAILED (exit $status): see the lines above and the log" >&2
    exit 1
fi
echo "valgrind.sh: OK: no memcheck errors, nothing lost, no descriptor left open"
