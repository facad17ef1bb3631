#!/usr/bin/env bash
# rdnscheck's benchmark (`make bench`): FCrDNS checks of 10.0.0.0/24, /20 and /16 against a local NSD, for
# rdnscheck and, when Debian's adns-tools is installed, for adnslogres (the best bulk peer). Prints checks/s,
# CPU per check and peak RSS (medians over the repetitions); asserts the counts of OK and CRITICAL. Then the
# memory table: peak RSS of `--once` on a /16 and on three /16 in one run, per engine and format, with a state
# file, and the runtime's own (`--version`); asserts that a /16 and three /16 without a state file stay under
# 16 MiB (MEMORY=0 skips the table).
#
# usage: bench/run.sh [BINARY]      environment: SIZES="24 20 16" REPS=3 CONCURRENCY=(rdnscheck's default)
# The client runs on CPU 0 and NSD on the last CPU, both on loopback; nothing leaves the machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../.build/release/rdnscheck}
sizes=${SIZES:-24 20 16}
reps=${REPS:-3}
[ -x "$binary" ] || { echo "bench: $binary is not built (make release)" >&2; exit 1; }
for tool in nsd python3 taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nsd python3 util-linux time)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/rdnscheck-bench.XXXXXX)
nsd_pid=""
stop_nsd() {
    if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null || true; wait "$nsd_pid" 2>/dev/null || true; fi
    nsd_pid=""
}
trap 'stop_nsd; rm -rf "$work"' EXIT

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
    mkdir -p "$dir/nsd"
    cat > "$dir/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$port
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$dir"
    pidfile: "$dir/nsd/nsd.pid"
    logfile: "$dir/nsd/nsd.log"
    zonelistfile: "$dir/nsd/zone.list"
    xfrdfile: "$dir/nsd/xfrd.state"
    xfrdir: "$dir/nsd"
    rrl-ratelimit: 0
    reuseport: no
remote-control:
    control-enable: no
zone:
    name: "example.test"
    zonefile: "example.test.zone"
zone:
    name: "0.10.in-addr.arpa"
    zonefile: "0.10.in-addr.arpa.zone"
CONF
    # The other /16s of the memory table's several-/16 run (gen_zones.py COUNT).
    for zone in "$dir"/[1-9]*.10.in-addr.arpa.zone; do
        [ -e "$zone" ] || continue
        zone=$(basename "$zone" .zone)
        printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' "$zone" "$zone" >> "$dir/nsd.conf"
    done
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
[ "${MEMORY:-1}" = 0 ] && exit 0
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
