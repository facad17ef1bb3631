#!/usr/bin/env bash
# Runs an NSD serving the test zones in Tests/Zones on loopback, for `make demo`.
#
#   nsd-demo.sh start DIR PORT   write DIR/nsd.conf, start nsd on 127.0.0.1:PORT (and [::1]:PORT when the
#                                host has IPv6 loopback), and return once it answers (at most 10 s)
#   nsd-demo.sh stop DIR         stop the nsd started with DIR (SIGTERM, then SIGKILL after 5 s)
#
# NSD_ZONES_DIR serves the *.zone files of another directory instead (each named by its $ORIGIN line).
# Everything nsd writes (pid file, log, state) stays in DIR. Needs only bash, nsd and nsd-checkconf:
# readiness is probed with a raw DNS query over bash's /dev/udp, not with dig.
set -euo pipefail

NSD=${NSD:-/usr/sbin/nsd}
NSD_CHECKCONF=${NSD_CHECKCONF:-/usr/sbin/nsd-checkconf}
zones_dir=${NSD_ZONES_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../Zones" && pwd)}

die() {
    echo "nsd-demo: $*" >&2
    exit 1
}

# True if the process exists and is not a zombie (an unreaped zombie still passes `kill -0`).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# The pid in DIR/nsd.pid, if it is a running nsd (so a stale file never makes us signal a stranger).
running_pid() {
    local pid
    pid=$(cat "$1/nsd.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q nsd || return 1
    echo "$pid"
}

# Sends an SOA query for example.test to 127.0.0.1:PORT and waits up to 1 s for any reply.
answers() {
    local fd
    exec {fd}<>"/dev/udp/127.0.0.1/$1" || return 1
    # ID 0x5e1f, flags 0, QDCOUNT 1; QNAME example.test; QTYPE SOA (6); QCLASS IN (1). One printf, one
    # datagram: bash writes the whole formatted string with a single write().
    printf '\x5e\x1f\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x04test\x00\x00\x06\x00\x01' >&"$fd"
    # The reply starts with the ID, so its first byte is never NUL and `read` sees it.
    read -r -t 1 -N 1 -u "$fd" 2>/dev/null
    local status=$?
    exec {fd}>&-
    return "$status"
}

write_conf() {
    local dir=$1 port=$2 file zone
    {
        echo "server:"
        echo "    ip-address: 127.0.0.1"
        # Only when ::1 exists: nsd refuses to start if it cannot bind an address it was given.
        if grep -qi '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then echo "    ip-address: ::1"; fi
        echo "    port: $port"
        echo "    server-count: 1"
        echo "    verbosity: 1"
        echo "    username: \"\""
        echo "    chroot: \"\""
        echo "    database: \"\""
        echo "    zonesdir: \"\""
        echo "    pidfile: \"$dir/nsd.pid\""
        echo "    logfile: \"$dir/nsd.log\""
        echo "    zonelistfile: \"$dir/zone.list\""
        echo "    xfrdfile: \"$dir/xfrd.state\""
        echo "    xfrdir: \"$dir\""
        echo "    rrl-ratelimit: 0"
        echo "remote-control:"
        echo "    control-enable: no"
        for file in "$zones_dir"/*.zone; do
            # The zone name is the file's $ORIGIN (file names cannot hold the '/' of 64/26.2.0.192...).
            # shellcheck disable=SC2016 # a literal $ORIGIN, not an expansion
            zone=$(sed -n 's/^\$ORIGIN[[:space:]]\{1,\}\([^[:space:]]*\)\.[[:space:]]*$/\1/p' "$file" | head -n 1)
            [[ -n $zone ]] || die "no \$ORIGIN line in $file"
            printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$zone" "$file"
        done
    } >"$dir/nsd.conf"
}

start() {
    local dir=$1 port=$2 pid
    if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65535)); then
        die "PORT must be a free port above 1023"
    fi
    [[ -x $NSD ]] || die "nsd is not installed: run \`apt-get install nsd\`"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if pid=$(running_pid "$dir"); then die "nsd is already running from $dir (pid $pid)"; fi
    rm -f "$dir/nsd.pid" "$dir/nsd.log"
    write_conf "$dir" "$port"
    "$NSD_CHECKCONF" "$dir/nsd.conf" || die "bad configuration $dir/nsd.conf"
    # Without -d nsd daemonizes: it returns at once and writes the daemon's pid to the pid file.
    "$NSD" -c "$dir/nsd.conf" || die "nsd failed to start; log: $(cat "$dir/nsd.log" 2>/dev/null)"
    for _ in $(seq 100); do
        if pid=$(running_pid "$dir") && answers "$port"; then
            echo "nsd-demo: nsd (pid $pid) serves $zones_dir on 127.0.0.1 port $port"
            return 0
        fi
        sleep 0.1
    done
    echo "nsd-demo: nsd did not answer on 127.0.0.1 port $port within 10 s; log:" >&2
    cat "$dir/nsd.log" >&2 2>/dev/null || true
    stop "$dir" >/dev/null || true
    exit 1
}

stop() {
    local dir=$1 pid
    if ! pid=$(running_pid "$dir"); then
        echo "nsd-demo: no nsd running from $dir"
        rm -f "$dir/nsd.pid"
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 50); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/nsd.pid"
    echo "nsd-demo: stopped nsd (pid $pid)"
}

case ${1:-} in
start) [[ $# -eq 3 ]] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
