#!/usr/bin/env bash
# `make units-check`: lints the shipped units and the man page, and measures the units' sandbox.
#
#   Tests/Systemd/units-check.sh BINARY
#
# 1. systemd-analyze verify on copies of systemd/*.service and *.timer whose ExecStart= runs BINARY (verify
#    insists that the command exists) with Documentation=man:rdnscheck(8) resolved against systemd/rdnscheck.8:
#    any output at all is a failure.
# 2. systemd-analyze security --offline=yes on both services: an overall exposure above MAX_EXPOSURE (1.5;
#    systemd-timesyncd ships at 2.3) is a failure.
# 3. The man page renders without groff warnings.
set -euo pipefail

MAX_EXPOSURE=${MAX_EXPOSURE:-1.5}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:?usage: units-check.sh BINARY}
[[ -x $bin ]] || { echo "units-check: $bin is not an executable (swift build -c release)" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "units-check: systemd-analyze missing (apt-get install systemd)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

echo "== systemd-analyze verify ($(systemd-analyze --version | head -n 1))"
mkdir -p "$tmp/units" "$tmp/man/man8"
cp "$REPO/systemd/rdnscheck.8" "$tmp/man/man8/"
for unit in rdnscheck.service rdnscheck-once.service rdnscheck.timer; do
    sed "/^ExecStart=/s|/usr/local/bin/rdnscheck|$bin|" "$REPO/systemd/$unit" >"$tmp/units/$unit"
done
# verify looks the Documentation= man page up with man(1), which honours MANPATH.
man_opt=--man=yes
command -v man >/dev/null || man_opt=--man=no
if out=$(cd "$tmp/units" && MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 \
    systemd-analyze verify "$man_opt" ./rdnscheck.service ./rdnscheck-once.service ./rdnscheck.timer 2>&1) &&
    [[ -z $out ]]; then
    echo "PASS: systemd-analyze verify: rdnscheck.service rdnscheck-once.service rdnscheck.timer"
else
    printf '%s\n' "$out" | sed 's/^/   | /'
    echo "FAIL: systemd-analyze verify"
    failed=1
fi

echo "== systemd-analyze security --offline=yes (at most $MAX_EXPOSURE)"
for unit in rdnscheck.service rdnscheck-once.service; do
    out=$(cd "$REPO/systemd" && systemd-analyze security --offline=yes --no-pager "./$unit" 2>&1) || true
    level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
    if [[ -z $level ]]; then
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/   | /'
        echo "FAIL: $unit: no exposure level in systemd-analyze's output"
        failed=1
    elif awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }'; then
        echo "PASS: $unit exposure $level"
    else
        grep '✗' <<<"$out" | sed 's/^/   | /'
        echo "FAIL: $unit exposure $level is above $MAX_EXPOSURE"
        failed=1
    fi
done

echo "== man page"
if command -v groff >/dev/null; then
    if out=$(groff -man -ww -z -t "$REPO/systemd/rdnscheck.8" 2>&1) && [[ -z $out ]]; then
        echo "PASS: groff -man -ww: rdnscheck.8 renders without warnings"
    else
        printf '%s\n' "$out" | sed 's/^/   | /'
        echo "FAIL: groff warnings in rdnscheck.8"
        failed=1
    fi
else
    echo "SKIP: groff missing, the man page was not rendered"
fi
exit "$failed"
