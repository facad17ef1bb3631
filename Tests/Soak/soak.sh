#!/usr/bin/env bash
# Soak test of the daemon, for `make soak`: many runs against good, failing and hostile DNS, watching the
# daemon's resident memory and open file descriptors for growth.
#
#   Tests/Soak/soak.sh [RUNS [BINARY]]      RUNS default 2000 (CI: 200 or more); BINARY default
#                                           .build/release/rdnscheck
#
# Starts NSD on the zones in Tests/Zones (Tests/Scripts/nsd-demo.sh) and Tests/Soak/faultdns.py in front of it
# (it relays ordinary names to NSD and answers 203.0.113.0/24 with faults: SERVFAIL, REFUSED, garbage answer
# sections, truncation then a TCP stall / reset / answer, a timeout every fifth run, a hostile PTR name, a CNAME
# loop, and a PTR that changes on every run so drift, the state file, the textfile and on-change run every time),
# on ::1 when the host has it (so the daemon talks to an IPv6 nameserver) or 127.0.0.1. The daemon runs with
# `interval 1s`, `timeout 1s`, `attempts 1`, a state file, a textfile and `on-change /bin/true`.
#
# Pace (SOAK_MODE): `signal` (default) sends SIGUSR1 as soon as the daemon logs "run finished", so runs follow
# each other back to back: the same work per run as at a 1 s interval, 2,000 runs in minutes instead of 33+.
# Runs that wait for a timeout (every fifth) still take over 1 s, so the interval timer fires and overlaps with
# SIGUSR1 too. `interval` sends no signal: one run per second, as configured.
#
# Every SOAK_SAMPLE_EVERY runs (default RUNS/40, at least 10) it records VmRSS, open descriptors
# (/proc/PID/fd, the lowest of ten readings 50 ms apart: the pipe to an on-change child, started on almost every
# run here, is open for a moment) and threads, printing each sample as it goes and the curve at the end. It fails
# when, after SOAK_WARMUP runs (default 100, or RUNS/4 when that is smaller), RSS rises more than
# SOAK_RSS_BOUND_KIB (default 1024) above its value at the warm-up sample; when the descriptor count of the last
# three samples stays above the lowest count up to the warm-up (a leak raises it for good; an on-change pipe
# caught in flight raises one sample); or when the daemon dies, logs an error (priority <3> or worse), or does
# not exit 0 on SIGTERM. Work files are in SOAK_DIR (default .build-soak/).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-2000}
binary=${2:-$root/.build/release/rdnscheck}
mode=${SOAK_MODE:-signal}
dir=${SOAK_DIR:-$root/.build-soak}
rss_bound=${SOAK_RSS_BOUND_KIB:-1024}

die() {
    echo "soak: $*" >&2
    exit 2
}
[[ $runs =~ ^[0-9]+$ ]] && ((runs >= 20)) || die "RUNS must be a number of at least 20"
[[ -x $binary ]] || die "no binary at $binary (build it: swift build -c release, or give its path)"
[[ $mode == signal || $mode == interval ]] || die "SOAK_MODE must be signal or interval"
command -v python3 >/dev/null || die "python3 is needed for the fault server"
sample_every=${SOAK_SAMPLE_EVERY:-$((runs / 40 > 10 ? runs / 40 : 10))}
warmup=${SOAK_WARMUP:-$((runs / 4 < 100 ? runs / 4 : 100))}
# The warm-up point must be a sample.
warmup=$(((warmup + sample_every - 1) / sample_every * sample_every))

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/state" && mkdir -p "$dir/state"
# A copy, so a rebuild during a long soak neither changes nor disturbs the binary under test.
cp "$binary" "$dir/rdnscheck.soak"
source_binary=$binary
binary=$dir/rdnscheck.soak
log=$dir/daemon.log
: >"$log"

ipv6=0
if [[ ${SOAK_IPV6:-1} == 1 ]] && grep -qi '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then ipv6=1; fi

# A port free for UDP and TCP on 127.0.0.1 (and ::1), for NSD.
free_port() {
    python3 "$root/Tests/Scripts/free-port.py" $( ((ipv6)) && echo --ipv6)
}

daemon_pid=""
fault_pid=""
cleanup() {
    if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -KILL "$daemon_pid" 2>/dev/null || true
    fi
    if [[ -n $fault_pid ]]; then kill "$fault_pid" 2>/dev/null || true; wait "$fault_pid" 2>/dev/null || true; fi
    "$root/Tests/Scripts/nsd-demo.sh" stop "$dir/nsd" >/dev/null 2>&1 || true
}
trap cleanup EXIT

nsd_port=$(free_port)
"$root/Tests/Scripts/nsd-demo.sh" start "$dir/nsd" "$nsd_port" >/dev/null
rm -f "$dir/fault.port"
fault_args=(--port-file "$dir/fault.port" --upstream "127.0.0.1:$nsd_port")
((ipv6)) && fault_args+=(--ipv6)
python3 "$root/Tests/Soak/faultdns.py" "${fault_args[@]}" 2>"$dir/faultdns.log" &
fault_pid=$!
for _ in $(seq 100); do [[ -s $dir/fault.port ]] && break; sleep 0.1; done
[[ -s $dir/fault.port ]] || die "the fault server did not start: $(cat "$dir/faultdns.log")"
fault_port=$(cat "$dir/fault.port")
if ((ipv6)); then nameserver="[::1]:$fault_port"; else nameserver="127.0.0.1:$fault_port"; fi

cat >"$dir/soak.conf" <<EOF
# Written by Tests/Soak/soak.sh
nameserver $nameserver
timeout 1s
attempts 1
interval 1s
fail-after 3
state $dir/state/state.json
textfile $dir/state/rdnscheck.prom
on-change /bin/true
# Good and failing answers from NSD (relayed by the fault server)
check 192.0.2.10 mail.example.test
check 192.0.2.11
check 192.0.2.12
check 192.0.2.15
check 192.0.2.17
check 192.0.2.21
check 192.0.2.23
check 192.0.2.25
check 192.0.2.65
check 2001:db8::25
check 2001:db8::28
check 198.51.100.32/28
# Faults (see faultdns.py): SERVFAIL; timeout every 5th run, else SERVFAIL; garbage answer section; TC then
# TCP stall/reset/answer; REFUSED; OK through the fault server; PTR changing every run; hostile name; CNAME loop
check 203.0.113.0/28
EOF
"$binary" --check-config -c "$dir/soak.conf" >/dev/null || die "the soak configuration is invalid"

rm -f "$dir/stderr.fifo"
mkfifo "$dir/stderr.fifo"
# JOURNAL_STREAM naming the FIFO makes the daemon prefix each line with its priority (<3> error, <4> warning...),
# as under systemd, so errors can be counted without guessing from the text.
JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/stderr.fifo") \
    "$binary" -c "$dir/soak.conf" 2>"$dir/stderr.fifo" </dev/null >/dev/null &
daemon_pid=$!
exec {daemon_err}<"$dir/stderr.fifo"

# The lowest of ten descriptor counts 50 ms apart (an on-change child's pipe may be open for a moment).
fd_count() {
    local lowest=1000000 count
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        count=$(find "/proc/$daemon_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        ((count < lowest)) && lowest=$count
        sleep 0.05
    done
    echo "$lowest"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$daemon_pid/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$daemon_pid/status"; }

started=$(date +%s.%N)
echo "soak: $runs runs of $source_binary (pid $daemon_pid), $mode mode, nameserver $nameserver (NSD on $nsd_port);"
echo "soak: sampling every $sample_every runs; bounds after run $warmup: RSS +$rss_bound KiB, descriptors +0"
printf '%8s %9s %9s %5s %8s\n' run seconds "RSS KiB" fds threads
samples=()
completed=0
errors=0
while ((completed < runs)); do
    if ! IFS= read -r -t 60 -u "$daemon_err" line; then
        kill -0 "$daemon_pid" 2>/dev/null || die "the daemon died after $completed runs; log: $log"
        die "no log line for 60 s after $completed runs; log: $log"
    fi
    printf '%s\n' "$line" >>"$log"
    case $line in
    *"run finished in "*) ;;
    "<3>"* | "<2>"* | "<1>"* | "<0>"*) errors=$((errors + 1)); continue ;;
    *) continue ;;
    esac
    completed=$((completed + 1))
    if ((completed % sample_every == 0 || completed == 1)); then
        elapsed=$(echo "$(date +%s.%N) - $started" | bc)
        samples+=("$completed $(printf '%.1f' "$elapsed") $(rss_kib) $(fd_count) $(threads)")
        read -r run seconds rss fds thread_count <<<"${samples[-1]}"
        printf '%8s %9s %9s %5s %8s\n' "$run" "$seconds" "$rss" "$fds" "$thread_count"
    fi
    if [[ $mode == signal ]] && ((completed < runs)); then kill -USR1 "$daemon_pid"; fi
done
elapsed=$(echo "$(date +%s.%N) - $started" | bc)

kill -TERM "$daemon_pid"
while IFS= read -r -t 10 -u "$daemon_err" line; do printf '%s\n' "$line" >>"$log"; done
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
exec {daemon_err}<&-

warm_rss=""
max_rss=0
baseline_fds=1000000
max_fds=0
late_fds=()
for sample in "${samples[@]}"; do
    read -r run seconds rss fds thread_count <<<"$sample"
    if ((run <= warmup && fds < baseline_fds)); then baseline_fds=$fds; fi
    ((run == warmup)) && warm_rss=$rss
    if ((run > warmup)); then
        ((rss > max_rss)) && max_rss=$rss
        ((fds > max_fds)) && max_fds=$fds
        late_fds+=("$fds")
    fi
done
# The lowest descriptor count of the last three samples.
late_low=1000000
first_late=$((${#late_fds[@]} > 3 ? ${#late_fds[@]} - 3 : 0))
for fds in "${late_fds[@]:first_late}"; do ((fds < late_low)) && late_low=$fds; done
runs_per_second=$(echo "scale=1; $runs / $elapsed" | bc)
echo
echo "soak: $runs runs in ${elapsed%.*} s ($runs_per_second runs/s); daemon exit status $status; $errors error line(s)"
echo "soak: log $log ($(wc -l <"$log") lines: $(grep -c '^<4>' "$log" || true) warnings, $(grep -c '^<5>' "$log" || true) notices);" \
    "$(grep -c 'longer than the interval' "$log" || true) runs outlasted the interval"

failed=0
if [[ -n $warm_rss ]] && ((max_rss > warm_rss + rss_bound)); then
    echo "soak: FAIL: RSS rose to $max_rss KiB, $((max_rss - warm_rss)) KiB above run $warmup ($warm_rss KiB)"
    failed=1
else
    echo "soak: RSS after run $warmup: at most $((max_rss > 0 ? max_rss - warm_rss : 0)) KiB above run $warmup ($warm_rss KiB; bound $rss_bound)"
fi
if ((${#late_fds[@]} > 0 && late_low > baseline_fds)); then
    echo "soak: FAIL: open descriptors rose from $baseline_fds (up to run $warmup) to $late_low in the last samples"
    failed=1
else
    echo "soak: open descriptors: $baseline_fds up to run $warmup; after it at most $max_fds, $late_low in the last samples"
fi
if ((status != 0)); then echo "soak: FAIL: the daemon exited with $status on SIGTERM"; failed=1; fi
if ((errors > 0)); then echo "soak: FAIL: the daemon logged $errors error line(s): grep '^<[0-3]>' $log"; failed=1; fi
((failed == 0)) && echo "soak: OK"
exit "$failed"
