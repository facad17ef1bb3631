#!/usr/bin/env bash
# rdnscheck's benchmark (`make bench`): FCrDNS checks of 10.0.0.0/24, /20 and /16 against a local NSD, for
# rdnscheck and, when Debian's adns-tools is installed, for adnslogres (the best bulk peer). Prints checks/s,
# CPU per check and peak RSS (medians over the repetitions); asserts the counts of OK and CRITICAL. Then the
# memory table: peak RSS of `--once` on a /16 and on three /16 in one run, per engine and format, with a state
# file, and the runtime's own (`--version`); asserts that a /16 and three /16 without a state file stay under
# 16 MiB (MEMORY=0 skips the table).
#
# usage: bench/run.sh [BINARY]      environment: SIZES="24 20 16" REPS=3 CONCURRENCY=(rdnscheck's default)
#                                                RATE_LIMIT=1000 BURST="1000 100" (RATE_LIMIT=0: no such case)
# The client runs on CPU 0 and NSD on the last CPU, both on loopback; nothing leaves the machine.
#
# Then the rate-limited case: 10.0.0.0/20 through bench/relay.c (the peer benchmark's relay), which answers at
# most RATE_LIMIT queries a second and drops the rest unanswered, as the Amazon VPC resolver does, once per
# BURST (its bucket's depth) and engine, each with a fresh relay: wall time against the floor (queries needed /
# RATE_LIMIT), unanswered addresses (temporary failures and addresses missing) and the relay's drops. A run is
# stopped at 10x the floor.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../.build/release/rdnscheck}
sizes=${SIZES:-24 20 16}
reps=${REPS:-3}
rate_limit=${RATE_LIMIT:-1000}
bursts=${BURST:-$rate_limit $((rate_limit / 10))}
[ -x "$binary" ] || { echo "bench: $binary is not built (make release)" >&2; exit 1; }
for tool in nsd python3 taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nsd python3 util-linux time)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/rdnscheck-bench.XXXXXX)
nsd_pid=""
relay_pid=""
stop_nsd() {
    if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null || true; wait "$nsd_pid" 2>/dev/null || true; fi
    nsd_pid=""
}
stop_relay() {
    if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true; fi
    relay_pid=""
}
trap 'stop_relay; stop_nsd; rm -rf "$work"' EXIT

server_cpu=$(( $(nproc) - 1 ))
adns=""
if command -v adnslogres >/dev/null; then
    cc -shared -fPIC -O2 -o "$work/port53shim.so" "$here/port53shim.c" -ldl
    adns=yes
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_nsd() {  # DIR PORT
    local dir=$1 port=$2
    "$here/nsd-conf.sh" "$dir" "$dir/nsd" "$port" > "$dir/nsd.conf"
    taskset -c "$server_cpu" nsd -d -c "$dir/nsd.conf" &
    nsd_pid=$!
    for _ in $(seq 100); do
        if "$binary" --once --quiet --timeout 1s --nameserver "127.0.0.1:$port" 10.0.0.10 >/dev/null 2>&1; then return; fi
        sleep 0.1
    done
    echo "bench: NSD did not start: $(cat "$dir/nsd/nsd.log" 2>/dev/null)" >&2
    exit 1
}

# One timed run: appends "name wall user sys maxrss_kb" to $work/times.
measure() {  # NAME OUTPUT COMMAND...
    local name=$1 output=$2
    shift 2
    /usr/bin/time -o "$work/time.txt" -f "%e %U %S %M" taskset -c 0 "$@" > "$output" 2>/dev/null || true
    echo "$name $(cat "$work/time.txt" | tail -1)" >> "$work/times"
}

printf '%-10s %-6s %5s %14s %14s %10s  %s\n' client range reps "checks/s" "CPU us/check" "max RSS" result
for size in $sizes; do
    dir=$work/$size
    python3 "$here/gen_zones.py" "$size" "$dir"
    port=$(free_port)
    start_nsd "$dir" "$port"
    : > "$work/times"
    check=""
    for rep in $(seq "$reps"); do
        measure rdnscheck "$work/out.json" "$binary" --once --format json --nameserver "127.0.0.1:$port" \
            ${CONCURRENCY:+--concurrency "$CONCURRENCY"} "10.0.0.0/$size"
        check=$(python3 - "$work/out.json" "$dir/expected.json" <<'PY'
import json, sys
out, expected = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
counts = out["counts"]
ok = counts["ok"] == expected["ok"] and counts["critical"] == expected["critical"] and counts["warning"] == 0
print(("valid" if ok else "INVALID") + f": OK {counts['ok']}, CRITICAL {counts['critical']}")
PY
)
        if [ -n "$adns" ]; then
            measure adnslogres "$work/adns.out" env "SHIM_PORT=$port" "LD_PRELOAD=$work/port53shim.so" \
                adnslogres -c 100 -C "nameserver 127.0.0.1" "$dir/adnslogres.in"
        fi
    done
    stop_nsd
    python3 - "$work/times" "$size" "$reps" "$check" <<'PY'
import statistics, sys
rows, size, reps, check = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
addresses = 1 << (32 - size)
runs = {}
for line in open(rows):
    name, wall, user, system, rss = line.split()
    runs.setdefault(name, []).append((float(wall), float(user) + float(system), int(rss)))
for name, values in runs.items():
    rate = statistics.median(addresses / max(wall, 0.001) for wall, _, _ in values)
    cpu = statistics.median(cpu / addresses * 1e6 for _, cpu, _ in values)
    rss = max(rss for _, _, rss in values) / 1024
    print(f"{name:<10} /{size:<5} {reps:>5} {rate:>14,.0f} {cpu:>14.1f} {rss:>7.1f} MB  {check if name == 'rdnscheck' else ''}")
PY
done

# Memory: `--once` without a state file writes its report as the results come and keeps none of them, so a /16 and
# three /16 in one run peak alike, near the runtime's own; with a state file every address's state is kept (drift
# needs the last run's) and the state file is written whole.
if [ "${MEMORY:-1}" != 0 ]; then
    dir=$work/memory
    python3 "$here/gen_zones.py" 16 "$dir" 3
    port=$(free_port)
    start_nsd "$dir" "$port"
    peak_kb() {  # COMMAND...: the peak RSS in KiB
        /usr/bin/time -o "$work/time.txt" -f "%M" taskset -c 0 "$@" > /dev/null 2>&1 || true
        tail -1 "$work/time.txt"
    }
    mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }
    limit_kb=16384
    failed=""
    echo
    printf '%-58s %12s %12s\n' "memory: peak RSS of rdnscheck --once" libresolv pipelined
    printf '%-58s %12s\n' "rdnscheck --version (the runtime alone)" "$(mib "$(peak_kb "$binary" --version)")"
    sixteens="10.0.0.0/16 10.1.0.0/16 10.2.0.0/16"
    for row in "json|10.0.0.0/16" "json|$sixteens" "text|10.0.0.0/16" "nagios|10.0.0.0/16" "json --quiet|10.0.0.0/16" \
               "json --state|10.0.0.0/16" "json --state|$sixteens"; do
        options=${row%%|*} ranges=${row#*|}
        label="--format $options $( [ "$ranges" = "$sixteens" ] && echo "three /16" || echo "a /16")"
        line=$(printf '%-58s' "$label")
        for engine in libresolv pipelined; do
            state=()
            if [[ $options == *--state ]]; then
                # The second run, as cron's are: the state of every address read, compared, written.
                rm -f "$work/state.json"
                "$binary" --once --format json --engine "$engine" --nameserver "127.0.0.1:$port" \
                    --state "$work/state.json" $ranges > /dev/null 2>&1 || true
                state=("$work/state.json")
            fi
            # shellcheck disable=SC2086 # the options and ranges are words
            kb=$(peak_kb "$binary" --once --format ${options%--state} "${state[@]/#/--state=}" --engine "$engine" \
                --nameserver "127.0.0.1:$port" $ranges)
            line+=$(printf ' %12s' "$(mib "$kb")")
            if [[ $options != *--state ]] && [ "$kb" -ge "$limit_kb" ]; then
                failed+=" $engine:'$label'"
            fi
        done
        echo "$line"
    done
    stop_nsd
    if [ -n "$failed" ]; then
        echo "bench: over $(mib "$limit_kb") without a state file:$failed" >&2
        exit 1
    fi
fi

[ "$rate_limit" -gt 0 ] || exit 0
cc -O2 -o "$work/relay" "$here/relay.c"
dir=$work/rate
python3 "$here/gen_zones.py" 20 "$dir"
port=$(free_port)
start_nsd "$dir" "$port"
# One PTR per address and one A per PTR name (every 1000th family from 3 has no PTR).
queries=$(python3 -c 'print(sum(1 if i % 1000 == 3 else 2 for i in range(4096)))')
floor=$(awk -v q="$queries" -v r="$rate_limit" 'BEGIN { printf "%.2f", q / r }')
echo
echo "10.0.0.0/20 through a relay answering at most $rate_limit queries/s (the rest dropped):" \
    "$queries queries, floor $floor s"
printf '%-10s %6s %8s %8s %11s %9s %8s  %s\n' engine burst "wall s" "x floor" unanswered tempfail dropped result
for burst in $bursts; do
    for engine in pipelined libresolv; do
        relay_port=$(free_port)
        taskset -c "$server_cpu" "$work/relay" "$relay_port" "$port" "$rate_limit" "$burst" \
            > "$work/relay.json" 2>/dev/null &
        relay_pid=$!
        sleep 0.2
        started=$(date +%s.%N)
        timeout -k 5 "$(awk -v f="$floor" 'BEGIN { printf "%.0f", f * 10 + 1 }')" taskset -c 0 "$binary" --once \
            --format json --engine "$engine" --nameserver "127.0.0.1:$relay_port" 10.0.0.0/20 \
            > "$work/rate.json" 2>/dev/null </dev/null || true
        wall=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
        stop_relay
        python3 - "$work/rate.json" "$dir/expected.json" "$work/relay.json" "$engine" "$burst" "$wall" "$floor" <<'PY'
import json, sys
out, expected, relay, engine, burst, wall, floor = sys.argv[1:]
expected, addresses = json.load(open(expected)), 4096
try:
    results = json.load(open(out))["results"]
except (OSError, ValueError, KeyError):
    results = []  # stopped at 10x the floor: nothing printed
try:
    dropped = json.loads(open(relay).read().strip().splitlines()[-1])["dropped"]
except (OSError, ValueError, KeyError, IndexError):
    dropped = "?"
temporary = sum(1 for r in results if any(p["code"] == "temporary-failure" for p in r.get("problems", [])))
unanswered = temporary + addresses - len(results)
ok = sum(1 for r in results if r["status"].upper() == "OK")
critical = sum(1 for r in results if r["status"].upper() == "CRITICAL")
valid = ok == expected["ok"] and critical == expected["critical"]
result = "valid" if valid else "INVALID" if results else "stopped at 10x the floor"
ratio = float(wall) / float(floor)
print(f"{engine:<10} {burst:>6} {float(wall):>8.2f} {ratio:>7.2f}x {unanswered:>11,} {temporary:>9,} {dropped:>8}  "
      f"{result}: OK {ok}, CRITICAL {critical}")
PY
    done
done
stop_nsd
