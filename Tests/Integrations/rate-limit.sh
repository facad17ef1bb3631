#!/usr/bin/env bash
# A rate-limited resolver (issue #14), for `make test`: NSD serves bench/gen_zones.py's 10.0.0.0/20 (4,096
# addresses, 8,187 queries), and bench/relay.c, the peer benchmark's relay, stands before it as the Amazon VPC
# resolver does: at most 1,000 queries a second, the excess dropped without an answer.
#
#   Tests/Integrations/rate-limit.sh [RDNSCHECK_BINARY]     default .build/release/rdnscheck
#
# Straight to NSD, then through the relay with a burst of 1,000 and of 100, the pipelined engine (which slows down
# by itself) must give the same verdict and problem codes for every address, and no temporary failure; so must the
# libresolv engine with `--rate 900` (under the limit: nothing dropped) on 10.0.0.0/22. Correctness, not speed:
# the times are printed against the floor (queries / 1,000), and a run is stopped only at 120 s, as a hang.
# Takes about 30 s. Loopback only, free ports (Tests/Scripts/free-port.py); everything in a temporary directory,
# removed at the end with the processes this script started.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$root/.build/release/rdnscheck}

say() { echo "rate-limit.sh: $*"; }
die() {
    say "FAILED: $*" >&2
    exit 1
}
[[ -x $bin ]] || die "no rdnscheck binary at $bin (make release)"

need=()
command -v nsd >/dev/null || need+=(nsd)
command -v cc >/dev/null || need+=(gcc libc6-dev)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]} > 0)); then
    say "installing ${need[*]} (Debian packages)"
    apt-get update -qq -o DPkg::Lock::Timeout=300 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null || die "cannot install ${need[*]}"
fi

work=$(mktemp -d /tmp/rdnscheck-rate.XXXXXX)
nsd_pid=""
relay_pid=""
cleanup() {
    [[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null
    [[ -n $nsd_pid ]] && kill "$nsd_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -o "$work/relay" "$root/bench/relay.c" || die "cannot build bench/relay.c"
python3 "$root/bench/gen_zones.py" 20 "$work/zones"
nsd_port=$(python3 "$root/Tests/Scripts/free-port.py")
"$root/bench/nsd-conf.sh" "$work/zones" "$work/nsd" "$nsd_port" >"$work/nsd.conf"
nsd -d -c "$work/nsd.conf" &
nsd_pid=$!
for _ in $(seq 100); do
    "$bin" --once --quiet --timeout 1s --nameserver "127.0.0.1:$nsd_port" 10.0.0.10 >/dev/null 2>&1 && break
    sleep 0.1
done

# check NAME PORT ENGINE RANGE [OPTION...]: one run, its JSON in $work/NAME.json, its stderr in $work/NAME.log.
check() {
    local name=$1 port=$2 engine=$3 range=$4 started status
    shift 4
    started=$(date +%s.%N)
    status=0
    timeout -k 5 120 "$bin" --once --format json --engine "$engine" --nameserver "127.0.0.1:$port" "$@" "$range" \
        >"$work/$name.json" 2>"$work/$name.log" </dev/null || status=$?
    ((status <= 2)) || die "$name: exit $status (124: still running after 120 s): $(tail -n 5 "$work/$name.log")"
    awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }' >"$work/$name.seconds"
}

# compare NAME REFERENCE RANGE_PREFIX_LENGTH QUERIES: the same verdicts and problem codes, no temporary failure.
compare() {
    python3 - "$work/$1.json" "$work/$2.json" "$3" "$(cat "$work/$1.seconds")" "$4" "$1" <<'PY' || die "$1"
import ipaddress, json, sys
out, ref, prefix, seconds, queries, name = sys.argv[1:]
def verdicts(path):
    doc = json.load(open(path))
    return {r["address"]: (r["status"], sorted(p["code"] for p in r.get("problems", []))) for r in doc["results"]}
got, want = verdicts(out), verdicts(ref)
network = ipaddress.ip_network(f"10.0.0.0/{prefix}")
want = {a: v for a, v in want.items() if ipaddress.ip_address(a) in network}
temporary = [a for a, (_, codes) in got.items() if "temporary-failure" in codes]
differ = [a for a in want if got.get(a) != want[a]]
floor = int(queries) / 1000
print(f"rate-limit.sh: {name}: {len(got)} addresses in {seconds} s ({float(seconds) / floor:.2f}x the "
      f"{floor:.2f} s floor), {len(temporary)} temporary failures, {len(differ)} differ from NSD's answers")
if temporary or differ or len(got) != len(want):
    for a in (temporary + differ)[:10]:
        print(f"  {a}: {got.get(a)} where NSD answers {want.get(a)}")
    sys.exit(1)
PY
}

# relay BURST: a fresh relay (full bucket) before NSD; its port in $relay_port.
relay() {
    relay_port=$(python3 "$root/Tests/Scripts/free-port.py")
    "$work/relay" "$relay_port" "$nsd_port" 1000 "$1" >"$work/relay-$1.out" 2>/dev/null &
    relay_pid=$!
    # Bound before the run starts (a query sent earlier would be refused, not limited): at most 10 s.
    for _ in $(seq 200); do
        # The port is taken once the relay has bound it.
        python3 -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' "$relay_port" 2>/dev/null \
            || return 0
        kill -0 "$relay_pid" 2>/dev/null || die "the relay on port $relay_port exited"
        sleep 0.05
    done
    die "the relay does not listen on port $relay_port"
}
stop_relay() {
    kill "$relay_pid" && wait "$relay_pid" || true
    relay_pid=""
    say "  relay: $(cat "$work/relay-$1.out")"
}

check reference "$nsd_port" pipelined 10.0.0.0/20
for burst in 1000 100; do
    relay "$burst"
    check "pipelined-burst-$burst" "$relay_port" pipelined 10.0.0.0/20
    stop_relay "$burst"
    compare "pipelined-burst-$burst" reference 20 8187
    sed 's/^/  | /' "$work/pipelined-burst-$burst.log"
done
relay 100
check libresolv-rate-900 "$relay_port" libresolv 10.0.0.0/22 --rate 900
stop_relay 100
compare libresolv-rate-900 reference 22 2046
sed 's/^/  | /' "$work/libresolv-rate-900.log"
say "OK"
