#!/bin/bash
# A stand-in for the rdnscheck daemon, used only by `run.sh --fake-daemon` to prove that the real-systemd
# harness passes when the behaviour is right (so a FAIL against the real daemon is the daemon's, not the
# harness's). It wraps `rdnscheck --once` and speaks the same systemd protocol as SPEC.md asks of the daemon:
# READY=1 once configured, STATUS= after each run, WATCHDOG=1 at half of WatchdogSec (also during long runs),
# RELOADING=1 + MONOTONIC_USEC then READY=1 on SIGHUP, a run now on SIGUSR1, STOPPING=1 and exit 0 on
# SIGTERM, exit 6 on an invalid configuration at start, drift logged with <4>/<5> journal prefixes.
#
# It sends notifications through systemd-notify (a child process), so its drop-in sets NotifyAccess=all;
# the real daemon sends them itself and the shipped unit keeps the default NotifyAccess=main.
#
# Usage (same as the daemon): fake-daemon.sh [-c FILE] [--state FILE]
set -u

RDNSCHECK=${RDNSCHECK:-/usr/local/bin/rdnscheck}
conf=/etc/rdnscheck/rdnscheck.conf
while (($#)); do
    case $1 in
    -c | --config) conf=$2; shift 2 ;;
    --state) shift 2 ;;   # the wrapped --once has no state yet; drift is kept in memory below
    *) echo "<3>fake-daemon: unknown argument $1"; exit 1 ;;
    esac
done

log() { echo "<$1>$2"; }
notify() { systemd-notify "$@" || log 3 "systemd-notify $* failed"; }
# The time in microseconds, in $US (no command substitution: a signal during one would lose its output).
now_us() { local t=$EPOCHREALTIME; US=${t/./}; }

# The watchdog period in microseconds, pinged at half of it.
wd_half=0
if [[ -n ${WATCHDOG_USEC:-} && ( -z ${WATCHDOG_PID:-} || ${WATCHDOG_PID:-} == "$$" ) ]]; then
    wd_half=$((WATCHDOG_USEC / 2))
fi
wd_last=0
ping_watchdog() {
    ((wd_half > 0)) || return 0
    now_us
    if ((US - wd_last >= wd_half)); then
        notify WATCHDOG=1
        wd_last=$US
    fi
}

valid() { "$RDNSCHECK" --check-config -c "$1" >/dev/null 2>&1; }
interval_of() {
    local v
    v=$(awk '$1 == "interval" { print $2; exit }' "$1")
    case $v in
    *h) echo $((${v%h} * 3600)) ;;
    *m) echo $((${v%m} * 60)) ;;
    *s) echo "${v%s}" ;;
    [0-9]*) echo "$v" ;;
    *) echo 300 ;;
    esac
}

if ! valid "$conf"; then
    "$RDNSCHECK" --check-config -c "$conf" 2>&1 | while IFS= read -r line; do log 3 "$line"; done
    exit 6
fi
interval=$(interval_of "$conf")

stop=0 reload=0 now=0
trap 'stop=1' TERM INT
trap 'reload=1' HUP
trap 'now=1' USR1

notify --ready --status="starting"
log 6 "fake-daemon: started with $conf, interval ${interval}s"

declare -A last=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Sleeps up to $1 seconds in 0.25 s steps, pinging the watchdog, until a signal flag is set or $2 (a PID,
# optional) exits.
idle() {
    local end
    now_us
    end=$((US + $1 * 1000000))
    while now_us && ((US < end && !stop && !reload && !now)); do
        [[ -n ${2:-} ]] && ! kill -0 "$2" 2>/dev/null && return 0
        ping_watchdog
        sleep 0.25 &
        wait $! 2>/dev/null
    done
}

run_checks() {
    local start pid rc line addr worse
    now_us
    start=$US
    "$RDNSCHECK" --once --format nagios -c "$conf" >"$tmp/out" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if ((stop)); then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return; fi
        idle 1 "$pid"
    done
    wait "$pid"
    rc=$?
    # Lines 2.. of the nagios output: "<STATUS> <address>: <problem>" for every non-OK address.
    declare -A cur=()
    while IFS= read -r line; do
        addr=${line#* }
        addr=${addr%%:*}
        cur[$addr]=$line
    done < <(tail -n +2 "$tmp/out")
    if ((${#last[@]} + ${#cur[@]} > 0)) && [[ -n ${ran:-} ]]; then
        for addr in "${!cur[@]}" "${!last[@]}"; do
            [[ ${cur[$addr]:-OK} == "${last[$addr]:-OK}" ]] && continue
            worse=4
            [[ -z ${cur[$addr]:-} ]] && worse=5
            log "$worse" "drift $addr: ${last[$addr]:-OK} -> ${cur[$addr]:-OK}"
            last[$addr]=${cur[$addr]:-OK}
        done
    fi
    last=()
    for addr in "${!cur[@]}"; do last[$addr]=${cur[$addr]}; done
    ran=1
    line=$(head -n 1 "$tmp/out")
    now_us
    log 6 "run finished in $(((US - start) / 1000)) ms (exit $rc): ${line%% |*}"
    notify --status="${line%% |*}; next run in ${interval}s"
}

while ((!stop)); do
    now=0
    run_checks
    ((stop)) && break
    idle "$interval"
    if ((reload)); then
        reload=0
        now_us
        notify RELOADING=1 "MONOTONIC_USEC=$US"
        if valid "$conf"; then
            interval=$(interval_of "$conf")
            log 5 "configuration reloaded from $conf"
        else
            log 3 "invalid configuration $conf, keeping the old one"
        fi
        notify --ready
    fi
done
notify STOPPING=1   # systemd-notify 252 has no --stopping
log 6 "fake-daemon: stopping"
exit 0
