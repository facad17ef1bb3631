#!/usr/bin/env bash
# The NSD configuration for the zones bench/gen_zones.py writes, on stdout: one server process on 127.0.0.1:PORT,
# no privilege drop, no rate limit, its state files in STATEDIR (made here), every /16 reverse zone found in ZONEDIR.
# Used by bench/run.sh, bench/callgrind.sh and Tests/Integrations/rate-limit.sh.
#
# usage: bench/nsd-conf.sh ZONEDIR STATEDIR PORT > nsd.conf
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 ZONEDIR STATEDIR PORT" >&2; exit 2; }
zones=$1 state=$2 port=$3
mkdir -p "$state"
cat <<CONF
server:
    ip-address: 127.0.0.1@$port
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$zones"
    pidfile: "$state/nsd.pid"
    logfile: "$state/nsd.log"
    zonelistfile: "$state/zone.list"
    xfrdfile: "$state/xfrd.state"
    xfrdir: "$state"
    rrl-ratelimit: 0
    reuseport: no
remote-control:
    control-enable: no
zone:
    name: "example.test"
    zonefile: "example.test.zone"
CONF
# 0.10.in-addr.arpa, and the other /16s of a several-/16 run (gen_zones.py COUNT).
for zone in "$zones"/[0-9]*.10.in-addr.arpa.zone; do
    [ -e "$zone" ] || continue
    zone=$(basename "$zone" .zone)
    printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' "$zone" "$zone"
done
