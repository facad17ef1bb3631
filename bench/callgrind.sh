#!/usr/bin/env bash
# Instructions rdnscheck executes for one FCrDNS check of 10.0.0.0/SIZE (default 20) against a local NSD, counted
# by valgrind's callgrind: a figure that, unlike wall time, does not move with the load of a shared machine. Used
# to compare builds (e.g. before and after an engine change).
#
# usage: bench/callgrind.sh [BINARY [SIZE]]     environment: ARGS (more rdnscheck options)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../.build/release/rdnscheck}
size=${2:-20}
[ -x "$binary" ] || { echo "callgrind: $binary is not built (make release)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }

work=$(mktemp -d /tmp/rdnscheck-callgrind.XXXXXX)
nsd_pid=""
trap '[ -z "$nsd_pid" ] || kill "$nsd_pid" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
[ -z "${KEEP:-}" ] || echo "callgrind: files in $work" >&2
python3 "$here/gen_zones.py" "$size" "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$here/nsd-conf.sh" "$work" "$work/nsd" "$port" > "$work/nsd.conf"
nsd -d -c "$work/nsd.conf" &
nsd_pid=$!
for _ in $(seq 100); do
    if "$binary" --once --quiet --timeout 1s --nameserver "127.0.0.1:$port" 10.0.0.10 >/dev/null 2>&1; then break; fi
    sleep 0.1
done
# shellcheck disable=SC2086
# Without its debug information, which valgrind 3.19 cannot read (DWARF 5); the instructions are the same.
objcopy --strip-debug "$binary" "$work/rdnscheck"
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/rdnscheck" --once --format json \
    --nameserver "127.0.0.1:$port" ${ARGS:-} "10.0.0.0/$size" > "$work/out.json" 2> "$work/valgrind.log" || true
python3 - "$work/out.json" "$work/expected.json" <<'PY'
import json, sys
out, expected = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
counts = out["counts"]
ok = counts["ok"] == expected["ok"] and counts["critical"] == expected["critical"] and counts["warning"] == 0
print(("valid" if ok else "INVALID") + f": OK {counts['ok']}, CRITICAL {counts['critical']}")
PY
grep -o 'Collected : [0-9]*' "$work/valgrind.log" | sed 's/Collected :/instructions:/'
