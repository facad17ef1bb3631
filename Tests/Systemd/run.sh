#!/usr/bin/env bash
# rdnscheck under a real systemd: boots a minimal Debian bookworm tree with systemd 252 as PID 1 of a
# systemd-nspawn container (private network: loopback only), installs the release binary and the shipped
# units with `make install DESTDIR=<tree>`, starts NSD inside on 127.0.0.1:5353 with Tests/Zones, and
# checks the daemon through systemctl and journalctl. systemd-resolved runs in it as on Ubuntu (/etc/resolv.conf
# names its stub; its upstream is NSD on 127.0.0.1:53), for SPEC's "No synthesized answers". Last, it replaces that
# install with the Debian package (packaging/deb/build.sh, built beside the boot): apt-get install, an upgrade while
# the service runs, apt-get purge (not with --fake-daemon). Each check prints
# PASS or FAIL; the script exits 0 when all pass, 1 when any fails, 2 when the harness itself could not run (no
# root, no tree, no boot).
#
#   Tests/Systemd/run.sh [--keep] [--fake-daemon] [--binary=PATH] [--rebuild-tree] [--clear-cache]
#
#   --keep          leave the container running afterwards for debugging; prints how to enter and stop it
#   --fake-daemon   run Tests/Systemd/fake-daemon.sh (a shell stand-in speaking the same protocol) instead
#                   of the daemon, to prove the harness: every check must PASS with it
#   --binary=PATH   install PATH as /usr/local/bin/rdnscheck instead of the release build (another build, an
#                   older version: without a daemon mode every daemon check FAILs, the timer check still PASSes)
#   --rebuild-tree  build the Debian tree again even when the cache holds one
#   --clear-cache   delete the cached trees and exit
#
# Run as root on a Debian 12 host (`make systemd-test` builds the release binary first). The host's PID 1
# need not be systemd: nspawn runs with --register=no --keep-unit, and commands go in with nsenter.
#
# Cache: the debootstrapped tree (about 420 MB, awscli included) is kept in $RDNSCHECK_SYSTEMD_TEST_CACHE (default
# /var/cache/rdnscheck-systemd-test), in a folder named after a hash of the suite, architecture and package
# list; a changed list builds a new tree and removes the old ones. The packages installed on top in each run
# (ON_TOP: systemd-resolved, in the tree's systemd version) are fetched once with the host's apt into
# $CACHE/debs. Each run boots an overlayfs on top of the cached tree (a copy where overlayfs is missing), so runs
# never change the cache. Clear it with
# `Tests/Systemd/run.sh --clear-cache` or `rm -rf /var/cache/rdnscheck-systemd-test`.
#
# Logs of the last run (boot console, debootstrap, journal, unit status snapshots) are in
# $RDNSCHECK_SYSTEMD_TEST_OUT (default .build/systemd-test).
#
# Other environment: MIRROR (Debian mirror; default: the one apt uses), SUITE (bookworm), MAKE.
# shellcheck disable=SC2317  # check functions and waitfor predicates are called indirectly
set -euo pipefail
# Whether the input holds a line grep matches: grep reads all of it. `… | grep -q` stops at the first match, and the
# command before it, still writing, then dies of SIGPIPE, which pipefail turns into "no match" (an install check
# failed so, once: the unit did run /usr/bin/rdnscheck).
has() { grep "$@" >/dev/null; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$REPO/Tests/Systemd
CACHE=${RDNSCHECK_SYSTEMD_TEST_CACHE:-/var/cache/rdnscheck-systemd-test}
OUT=${RDNSCHECK_SYSTEMD_TEST_OUT:-$REPO/.build/systemd-test}
SUITE=${SUITE:-bookworm}
MAKE=${MAKE:-make}
# procps: /bin/kill for ExecReload; dbus: systemctl works as usual; nsd: the DNS server under test.
PACKAGES=systemd,systemd-sysv,dbus,procps,nsd
# Installed with the tree's own apt once debootstrap is done (debootstrap's --include cannot order python3's
# packages): awscli, the `aws` command `aws-ptr on` runs; its python3 also runs the metadata-service and EC2 API
# stand-ins.
APT_PACKAGES=awscli
# Installed on top of the tree in each run, from a .deb kept in the cache (see "Debian tree"): the stub resolver whose
# made-up answers rdnscheck must not take (SPEC "No synthesized answers").
ON_TOP=systemd-resolved
TREE_FORMAT=1    # bump when the tree preparation below changes
MACHINE=rdnscheck-test-$$
NSD_PORT=5353
OWN_ADDRESS=203.0.113.77                 # the container's own (dummy0 or lo), without a PTR in Tests/Zones
OWN_REVERSE_ZONE=113.0.203.in-addr.arpa
BLACKHOLE_PORT=5399
IMDS_PORT=8111        # the metadata-service stand-in (Tests/Stubs/imds-stub.py) in the container
EC2_API_PORT=8112     # the EC2 API stand-in (Tests/Stubs/ec2-api-stub.py)
STUBS=/usr/local/lib/rdnscheck-test
TEST_WATCHDOG_SEC=3

KEEP=0 FAKE=0 REBUILD=0 BINARY=''
for arg in "$@"; do
    case $arg in
    --binary=*)
        BINARY=$(realpath -e "${arg#--binary=}" 2>/dev/null) || { echo "run.sh: no such file: ${arg#--binary=}" >&2; exit 2; }
        ;;
    --keep) KEEP=1 ;;
    --fake-daemon) FAKE=1 ;;
    --rebuild-tree) REBUILD=1 ;;
    --clear-cache)
        echo "removing $CACHE"
        rm -rf "$CACHE"
        exit 0
        ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
    esac
done

harness_error() {
    echo "run.sh: $*" >&2
    exit 2
}
[[ $(id -u) == 0 ]] || harness_error "must run as root (debootstrap, overlay mounts, systemd-nspawn)"

now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T_ALL=$(now)

# ------------------------------------------------------------------------------------------ phases, results
PHASE='' PHASE_T0='' TIMINGS=() RESULTS=() FAILED=0
phase_end() {
    [[ -n $PHASE ]] || return 0
    TIMINGS+=("$(printf '%-34s %6ss' "$PHASE" "$(dt "$PHASE_T0" "$(now)")")")
    PHASE=
}
phase() {
    phase_end
    PHASE=$1 PHASE_T0=$(now)
    echo
    echo "== $1"
}
pass() {
    echo "PASS: $1"
    RESULTS+=("PASS  $1")
}
fail() {
    echo "FAIL: $1${2:+ -- $2}"
    RESULTS+=("FAIL  $1${2:+ -- $2}")
    FAILED=$((FAILED + 1))
}
# check FUNCTION "description": runs a check function (errexit off inside) and records PASS or FAIL. The
# function prints its evidence, indented, and may set WHY to say what went wrong.
check() {
    local fn=$1 name=$2
    WHY=
    echo "-- $name"
    if "$fn"; then pass "$name"; else fail "$name" "$WHY"; fi
}
note() { sed 's/^/   | /'; }

# ------------------------------------------------------------------------------------------ cleanup
RUN='' MERGED='' NSPAWN_PID='' LEADER='' MOUNTED=0 LOGS_COLLECTED=0
stop_container() {
    if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        kill -TERM "$NSPAWN_PID" 2>/dev/null || true   # nspawn halts the container cleanly on SIGTERM
        for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            echo "   container did not halt within 10 s: SIGKILL $NSPAWN_PID"
            kill -KILL "$NSPAWN_PID" 2>/dev/null || true
            for _ in $(seq 25); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
        fi
    fi
    if ((MOUNTED)); then umount "$MERGED" 2>/dev/null || umount -l "$MERGED" 2>/dev/null || true; fi
    [[ -n $RUN ]] && rm -rf --one-file-system "$RUN"
    # nspawn leaves per-machine directories on the host (/run is not a tmpfs everywhere).
    rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null || true
    rm -f "/run/systemd/nspawn/locks/"*"$MACHINE"* 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    phase_end
    collect_logs
    if ((KEEP)) && [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        write_stop_script
        echo
        echo "== --keep: the container is still running (nspawn PID $NSPAWN_PID, container PID 1 = host PID ${LEADER:-?})"
        echo "   enter:  nsenter -t $LEADER -a -- bash"
        echo "   stop:   $RUN/stop.sh"
        exit "$rc"
    fi
    if [[ -n $NSPAWN_PID || -n $RUN ]]; then
        local t
        t=$(now)
        stop_container
        echo "   container stopped and removed in $(dt "$t" "$(now)")s"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The container's journal, whatever happened (called again from cleanup; runs once).
collect_logs() {
    ((LOGS_COLLECTED == 0)) && [[ -n $LEADER ]] && kill -0 "$LEADER" 2>/dev/null || return 0
    LOGS_COLLECTED=1
    C journalctl -b --no-pager -o short-monotonic >"$OUT/journal.txt" 2>&1
    C journalctl -b --no-pager -o short-monotonic -u rdnscheck.service -u rdnscheck-once.service \
        -u rdnscheck.timer >"$OUT/journal-rdnscheck.txt" 2>&1
    echo "   journal saved to $OUT/journal.txt and journal-rdnscheck.txt"
}

write_stop_script() {
    cat >"$RUN/stop.sh" <<EOF
#!/bin/sh
# Stops the container left running by run.sh --keep and removes its files.
kill -TERM $NSPAWN_PID 2>/dev/null
i=0; while kill -0 $NSPAWN_PID 2>/dev/null && [ \$i -lt 50 ]; do sleep 0.2; i=\$((i+1)); done
kill -KILL $NSPAWN_PID 2>/dev/null
$( ((MOUNTED)) && echo "umount '$MERGED' || umount -l '$MERGED'")
rmdir /run/systemd/nspawn/propagate/$MACHINE 2>/dev/null
cd / && rm -rf --one-file-system '$RUN'
EOF
    chmod 755 "$RUN/stop.sh"
}

# ------------------------------------------------------------------------------------------ host packages
phase "host packages"
need=()
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v nsenter >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
    echo "   installing ${need[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "   $(systemd-nspawn --version | head -n 1)"
rm -rf "$OUT"
mkdir -p "$OUT"

# ------------------------------------------------------------------------------------------ cached tree
phase "Debian tree (cache)"
ARCH=$(dpkg --print-architecture)
KEY=$(printf '%s %s %s %s %s' "$SUITE" "$ARCH" "$PACKAGES" "$APT_PACKAGES" "$TREE_FORMAT" | sha256sum | cut -c1-12)
BASE=$CACHE/$SUITE-$ARCH-$KEY
mkdir -p "$CACHE"
exec {lockfd}>"$CACHE/.lock"
flock "$lockfd"    # one tree build at a time; concurrent runs wait here
if ((REBUILD)); then rm -rf "$BASE"; fi
if [[ -f $BASE/.complete ]]; then
    echo "   reusing $BASE ($(du -sh "$BASE" | cut -f1))"
else
    if [[ -z ${MIRROR:-} ]]; then
        # the first Debian (non-security) mirror apt already uses
        MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { print $2 }' |
            grep -v security | grep -i debian | head -n 1 || true)
        [[ -n $MIRROR ]] || MIRROR=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    fi
    [[ -n $MIRROR ]] || harness_error "no Debian mirror found in apt's sources; set MIRROR="
    echo "   debootstrap --variant=minbase --include=$PACKAGES $SUITE from $MIRROR"
    tmp=$CACHE/.building-$KEY
    rm -rf "$tmp"
    if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$MIRROR" \
        >"$OUT/debootstrap.log" 2>&1; then
        tail -n 20 "$OUT/debootstrap.log" >&2
        rm -rf "$tmp"
        harness_error "debootstrap failed (log: $OUT/debootstrap.log)"
    fi
    echo "   apt-get install $APT_PACKAGES in the tree"
    cp /etc/resolv.conf "$tmp/etc/resolv.conf"    # the host's, for apt; each run replaces it
    if ! { chroot "$tmp" apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive chroot "$tmp" apt-get install -y -qq --no-install-recommends $APT_PACKAGES; } \
        >"$OUT/apt-in-tree.log" 2>&1; then
        tail -n 20 "$OUT/apt-in-tree.log" >&2
        rm -rf "$tmp"
        harness_error "apt-get install $APT_PACKAGES in the tree failed (log: $OUT/apt-in-tree.log)"
    fi
    # Trim what the tests never use, and start every boot with an empty journal.
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/var/log/journal/*
    # The packaged NSD must not start with Debian's default configuration: each run writes its own.
    rm -f "$tmp"/etc/systemd/system/multi-user.target.wants/nsd.service
    : >"$tmp/etc/machine-id"    # a fresh machine id on every boot
    touch "$tmp/.complete"
    # Keep one tree: drop the ones of older package lists.
    find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "$SUITE-*" ! -name "$(basename "$BASE")" \
        -exec rm -rf --one-file-system {} +
    mv "$tmp" "$BASE"
    echo "   built $BASE ($(du -sh "$BASE" | cut -f1))"
fi
# The packages installed on top, in the version of the tree's systemd (they require it exactly), fetched once with
# the host's apt (which may reach a mirror that debootstrap cannot) into the cache.
SYSTEMD_VERSION=$(chroot "$BASE" dpkg-query -W -f '${Version}' systemd)
DEBS=()
mkdir -p "$CACHE/debs"
for package in $ON_TOP; do
    deb=$(find "$CACHE/debs" -maxdepth 1 -name "${package}_${SYSTEMD_VERSION//:/%3a}_*.deb" | head -n 1)
    if [[ -z $deb ]]; then
        (cd "$CACHE/debs" && apt-get download -q "$package=$SYSTEMD_VERSION" >"$OUT/apt-download.log" 2>&1) ||
            { cat "$OUT/apt-download.log" >&2; harness_error "apt-get download $package=$SYSTEMD_VERSION failed"; }
        deb=$(find "$CACHE/debs" -maxdepth 1 -name "${package}_${SYSTEMD_VERSION//:/%3a}_*.deb" | head -n 1)
        [[ -n $deb ]] || harness_error "apt-get download $package=$SYSTEMD_VERSION left no .deb"
    fi
    DEBS+=("$deb")
    echo "   on top: $(basename "$deb")"
done
flock -u "$lockfd"

# ------------------------------------------------------------------------------------------ per-run tree
phase "run tree (overlay) and install"
RUN=$(mktemp -d "${TMPDIR:-/tmp}/rdnscheck-systemd-test.XXXXXX")
MERGED=$RUN/root
mkdir -p "$MERGED" "$RUN/upper" "$RUN/work"
# Concurrent runs share the lower tree read-only; a run never writes the cache.
if mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$RUN/upper,workdir=$RUN/work" "$MERGED" 2>/dev/null; then
    MOUNTED=1
    echo "   overlayfs on $BASE at $MERGED"
else
    cp -a --reflink=auto "$BASE/." "$MERGED/"
    echo "   copied $BASE to $MERGED (no overlayfs)"
fi
echo "$MACHINE" >"$MERGED/etc/hostname"

# The binary under test: the release build (`make systemd-test` builds it; the SwiftPM layout's
# .build/release, so no swift command runs here) or --binary.
BIN=${BINARY:-$REPO/.build/release/rdnscheck}
[[ -x $BIN ]] || harness_error "no binary at $BIN: run \`make release\` (make systemd-test does) or give --binary="
echo "   binary under test: $(realpath "$BIN")"
# The Debian packages of the "Debian package" phase, built while the container boots and the other phases run: the
# binary under test as version X.Y.Z-1, and the same contents as X.Y.Z-2, the upgrade.
DEB_BUILDS=()
if ((FAKE == 0)); then
    for revision in 1 2; do
        "$REPO/packaging/deb/build.sh" "$BIN" "$RUN/debs" "$revision" >"$OUT/deb-build-$revision.log" 2>&1 &
        DEB_BUILDS+=($!)
    done
fi

# The EC2 instance of `make demo` (Tests/Scripts/ec2-demo.sh): the stand-ins and their scenarios, the wrapper that
# points the real `aws` at the EC2 API stand-in, and the configuration an EC2 relay would have.
mkdir -p "$MERGED$STUBS"
cp "$REPO/Tests/Stubs/imds-stub.py" "$REPO/Tests/Stubs/ec2-api-stub.py" "$REPO"/Tests/Stubs/scenarios/*.json \
    "$MERGED$STUBS/"
printf '#!/bin/sh\nexec /usr/bin/aws --endpoint-url http://127.0.0.1:%s "$@"\n' "$EC2_API_PORT" >"$MERGED$STUBS/aws"
chmod 755 "$MERGED$STUBS/aws"
mkdir -p "$MERGED/etc/rdnscheck"
printf 'discover ec2\naws-ptr on\naws-command %s/aws\ntimeout 2s\nnameserver 127.0.0.1:%s\n' \
    "$STUBS" "$NSD_PORT" >"$MERGED/etc/rdnscheck/ec2.conf"
printf 'discover interfaces\ntimeout 2s\nnameserver 127.0.0.1:%s\n' "$NSD_PORT" >"$MERGED/etc/rdnscheck/interfaces.conf"

# An operator's configuration that `make install` must keep: the test configuration itself.
mkdir -p "$MERGED/etc/rdnscheck"
cat >"$MERGED/etc/rdnscheck/rdnscheck.conf" <<EOF
# rdnscheck configuration of the real-systemd test (Tests/Systemd/run.sh): NSD in the container.
interval 1m
timeout 2s
attempts 1
nameserver 127.0.0.1:$NSD_PORT
fail-after 3
on-change /usr/local/libexec/rdnscheck-test-on-change
textfile /var/lib/prometheus/node-exporter/rdnscheck.prom
check 192.0.2.10 mail.example.test
check 198.51.100.32/30
check 2001:db8::25 mail6.example.test
check 192.0.2.65
EOF
cp "$MERGED/etc/rdnscheck/rdnscheck.conf" "$RUN/config.orig"
# The on-change program: prints what it got (the daemon logs its output) and what the sandbox lets it be.
mkdir -p "$MERGED/usr/local/libexec"
cat >"$MERGED/usr/local/libexec/rdnscheck-test-on-change" <<'EOF'
#!/bin/sh
echo "got $RDNSCHECK_ADDRESS $RDNSCHECK_OLD_STATUS -> $RDNSCHECK_NEW_STATUS problems=[$RDNSCHECK_PROBLEMS] names=[$RDNSCHECK_PTR_NAMES] uid=$(id -u)"
EOF
chmod 0755 "$MERGED/usr/local/libexec/rdnscheck-test-on-change"
# One run against a server that never answers lasts timeout x attempts = 6 s, twice WatchdogSec.
cat >"$MERGED/etc/rdnscheck/blackhole.conf" <<EOF
# A nameserver that never answers (blackhole.socket: bound, never read): one run lasts 6 s.
interval 1m
timeout 3s
attempts 2
nameserver 127.0.0.1:$BLACKHOLE_PORT
check 192.0.2.10
EOF
sed 's/^/   /' "$MERGED/etc/rdnscheck/rdnscheck.conf" | grep -v '^   #'

"$MAKE" -C "$REPO" --no-print-directory -s install DESTDIR="$MERGED" PREFIX=/usr/local RDNSCHECK_BIN="$BIN" \
    >"$OUT/install.log" 2>&1 || { cat "$OUT/install.log" >&2; harness_error "make install DESTDIR=$MERGED failed"; }
note <"$OUT/install.log"
# The Swift runtime: the binary's RUNPATH is /opt/swift/usr/lib/swift/linux, so the same libraries go to the
# same place in the tree. Everything else it links (libc, libresolv, libstdc++, libgcc_s) is in minbase.
while read -r lib; do
    mkdir -p "$MERGED$(dirname "$lib")"
    cp -L "$lib" "$MERGED$lib"
done < <(ldd "$MERGED/usr/local/bin/rdnscheck" 2>/dev/null | awk '$3 ~ /^\// { print $3 }' |
    grep -v -e '^/lib/' -e '^/usr/lib/' -e '^/lib64/' || true)
DAEMON=/usr/local/bin/rdnscheck
if ((FAKE)); then
    DAEMON=/usr/local/libexec/rdnscheck-fake-daemon
    install -D -m 0755 "$HERE/fake-daemon.sh" "$MERGED$DAEMON"
fi
IDENT=$(basename "$DAEMON")   # the journal's SYSLOG_IDENTIFIER of the daemon's own lines

# NSD: the packaged nsd.service with our configuration, serving a copy of Tests/Zones on 127.0.0.1:5353.
mkdir -p "$MERGED/etc/nsd/zones"
cp "$REPO"/Tests/Zones/*.zone "$MERGED/etc/nsd/zones/"
{
    printf 'server:\n    ip-address: 127.0.0.1\n    port: %s\n    server-count: 1\n' "$NSD_PORT"
    printf '    zonesdir: "/etc/nsd/zones"\n    database: ""\n    rrl-ratelimit: 0\n    verbosity: 1\n'
    printf 'remote-control:\n    control-enable: no\n'
    for f in "$REPO"/Tests/Zones/*.zone; do
        # shellcheck disable=SC2016  # a literal $ORIGIN
        zone=$(sed -n 's/^\$ORIGIN[[:space:]]\{1,\}\([^[:space:]]*\)\.[[:space:]]*$/\1/p' "$f" | head -n 1)
        printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$zone" "$(basename "$f")"
    done
} >"$MERGED/etc/nsd/nsd.conf"
ln -sf /lib/systemd/system/nsd.service "$MERGED/etc/systemd/system/multi-user.target.wants/nsd.service"

for deb in "${DEBS[@]}"; do
    cp "$deb" "$MERGED/tmp/"
    chroot "$MERGED" dpkg -i "/tmp/$(basename "$deb")" >"$OUT/dpkg-on-top.log" 2>&1 ||
        { cat "$OUT/dpkg-on-top.log" >&2; harness_error "dpkg -i $(basename "$deb") in the tree failed"; }
    rm -f "$MERGED/tmp/$(basename "$deb")"
done
# systemd-resolved as on Ubuntu: /etc/resolv.conf names its stub, its upstream is NSD on 127.0.0.1 port 53 too (the
# only port resolved writes into /run/systemd/resolve/resolv.conf), whose $OWN_REVERSE_ZONE (Tests/Zones) has no PTR
# for $OWN_ADDRESS, an address the container holds: resolved makes one up from the hostname.
grep -q "^\$ORIGIN $OWN_REVERSE_ZONE\.\$" "$REPO"/Tests/Zones/*.zone ||
    harness_error "Tests/Zones has no zone $OWN_REVERSE_ZONE for $OWN_ADDRESS"
printf 'server:\n    ip-address: 127.0.0.1@53\n' >>"$MERGED/etc/nsd/nsd.conf"
mkdir -p "$MERGED/etc/systemd/resolved.conf.d"
printf '[Resolve]\nDNS=127.0.0.1\nDomains=~.\nLLMNR=no\nMulticastDNS=no\nDNSSEC=no\nCache=no\nDNSStubListener=yes\n' \
    >"$MERGED/etc/systemd/resolved.conf.d/50-rdnscheck-test.conf"
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$MERGED/etc/resolv.conf"

# node_exporter's textfile directory, set up as rdnscheck(8) and the unit's comment tell operators to: owned by a
# prometheus group that may write it, and the documented drop-in (ReadWritePaths=, SupplementaryGroups=).
chroot "$MERGED" /usr/sbin/groupadd --system prometheus
chroot "$MERGED" /usr/sbin/useradd --system --gid prometheus --no-create-home --shell /usr/sbin/nologin prometheus
install -d -m 0775 -g "$(awk -F: '$1 == "prometheus" { print $3 }' "$MERGED/etc/group")" \
    "$MERGED/var/lib/prometheus/node-exporter"
mkdir -p "$MERGED/etc/systemd/system/rdnscheck.service.d"
printf '[Service]\nReadWritePaths=/var/lib/prometheus/node-exporter\nSupplementaryGroups=prometheus\n' \
    >"$MERGED/etc/systemd/system/rdnscheck.service.d/30-textfile.conf"

# A DNS server that never answers: systemd holds the UDP socket, the service behind it never reads.
cat >"$MERGED/etc/systemd/system/blackhole.socket" <<EOF
[Unit]
Description=UDP port $BLACKHOLE_PORT that never answers (rdnscheck watchdog test)
[Socket]
ListenDatagram=127.0.0.1:$BLACKHOLE_PORT
EOF
cat >"$MERGED/etc/systemd/system/blackhole.service" <<EOF
[Unit]
Description=Holds the blackhole socket without reading it
[Service]
ExecStart=/bin/sleep infinity
StandardInput=null
EOF

# Test drop-ins for the shipped unit: bounded start timeout, fast restarts (so "not restarting" shows
# quickly), and with --fake-daemon the stand-in in place of the daemon.
mkdir -p "$MERGED/etc/systemd/system/rdnscheck.service.d"
cat >"$MERGED/etc/systemd/system/rdnscheck.service.d/40-test.conf" <<EOF
[Service]
TimeoutStartSec=20s
RestartSec=1s
EOF
if ((FAKE)); then
    cat >"$MERGED/etc/systemd/system/rdnscheck.service.d/45-fake-daemon.conf" <<EOF
# run.sh --fake-daemon: the shell stand-in notifies through systemd-notify, a child process.
[Service]
NotifyAccess=all
ExecStart=
ExecStart=$DAEMON -c /etc/rdnscheck/rdnscheck.conf --state /var/lib/rdnscheck/state.json
EOF
fi

# ------------------------------------------------------------------------------------------ install checks
phase "install checks (host side)"
check_install_kept_config() {
    if cmp -s "$RUN/config.orig" "$MERGED/etc/rdnscheck/rdnscheck.conf"; then
        echo "   /etc/rdnscheck/rdnscheck.conf unchanged by make install"
        return 0
    fi
    WHY="make install replaced an existing /etc/rdnscheck/rdnscheck.conf"
    return 1
}
check_install_paths() {
    local ok=0 f
    for f in usr/local/bin/rdnscheck usr/local/lib/systemd/system/rdnscheck.service \
        usr/local/lib/systemd/system/rdnscheck-once.service usr/local/lib/systemd/system/rdnscheck.timer \
        usr/local/share/man/man8/rdnscheck.8; do
        if [[ -e $MERGED/$f ]]; then echo "   /$f"; else echo "   missing /$f"; ok=1; fi
    done
    grep -h '^ExecStart=' "$MERGED"/usr/local/lib/systemd/system/rdnscheck*.service | note
    if grep -h '^ExecStart=' "$MERGED"/usr/local/lib/systemd/system/rdnscheck*.service | has -v '^ExecStart=/usr/local/bin/rdnscheck '; then
        WHY="an ExecStart= does not run /usr/local/bin/rdnscheck"
        ok=1
    fi
    [[ $ok == 0 ]] || WHY=${WHY:-"files missing"}
    return $ok
}
check_binary_libraries() {
    # ldd inside the tree (not running the binary: without /proc in a bare chroot, Swift sees no arguments).
    local out
    out=$(chroot "$MERGED" /usr/bin/ldd /usr/local/bin/rdnscheck 2>&1)
    note <<<"$out"
    grep -q 'not found' <<<"$out" || return 0
    WHY="shared libraries missing in the tree"
    return 1
}
check check_install_paths "make install DESTDIR=tree installs binary, units, man page; ExecStart= is the installed path"
check check_install_kept_config "make install keeps an existing configuration"
check check_binary_libraries "the installed binary finds its shared libraries in the tree (ldd)"

# ------------------------------------------------------------------------------------------ boot
phase "boot container"
# setsid: nspawn in its own session, so it gets no terminal signals and can outlive us with --keep.
setsid systemd-nspawn --quiet --directory="$MERGED" --machine="$MACHINE" --boot \
    --register=no --keep-unit --private-network --console=read-only \
    >"$OUT/boot.log" 2>&1 </dev/null &
NSPAWN_PID=$!
LEADER=
for _ in $(seq 300); do
    for p in $(pgrep -P "$NSPAWN_PID" 2>/dev/null); do
        [[ $(cat "/proc/$p/comm" 2>/dev/null) == systemd ]] && LEADER=$p
    done
    [[ -n $LEADER ]] && break
    kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$OUT/boot.log" >&2; harness_error "systemd-nspawn exited"; }
    sleep 0.1
done
[[ -n $LEADER ]] || { cat "$OUT/boot.log" >&2; harness_error "no container PID 1 after 30 s"; }

# C CMD...: run CMD in the container (all its namespaces), at most 60 s.
C() {
    timeout -k 5 60 nsenter -t "$LEADER" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat SYSTEMD_LOG_COLOR=0 LANG=C.UTF-8 "$@"
}
state=
# Until PID 1 answers on its private socket with a state; any other answer means not yet. The loop used to stop at
# anything but "Failed to connect" or nothing: once in make test (the soak starting beside it) it stopped at once,
# on an answer that was not logged, and the --wait below then failed to connect to the bus.
for _ in $(seq 300); do
    state=$(C systemctl is-system-running 2>&1 || true)
    case $state in initializing | starting | running | degraded | maintenance | stopping) break ;; *) sleep 0.1 ;; esac
done
state=$(C systemctl is-system-running --wait 2>&1 || true)
echo "   container PID 1 = host PID $LEADER, system '$state'"
C systemd-analyze time 2>/dev/null | head -n 1 | note || true
# PID 1 at debug level logs every sd_notify message it gets ("Got notification message from PID ...").
C systemctl log-level debug
# The newest PID 1 line about the daemon that matches a pattern, after a cursor.

# ------------------------------------------------------------------------------------------ helpers
# From here on a failing command is a check's business, not a reason to abort the run.
set +e
U=rdnscheck.service
show() { C systemctl show -P "$2" "${1:-$U}"; }
# cursor: writes a marker line to the journal and prints its cursor; `jsince CURSOR ARGS` shows the entries from
# there on. journalctl 252 with --after-cursor and a match (-u, FIELD=, -p) skips the first matching entry when
# the cursor's own entry does not match, so the checks use --cursor= on a marker that no filter of theirs
# matches (identifier rdnscheck-test, priority info, outside the units under test).
MARKS=0
cursor() {
    local mark c
    MARKS=$((MARKS + 1))
    mark="rdnscheck-test mark $MARKS of run $$"
    echo "$mark" | C systemd-cat -t rdnscheck-test -p info
    for _ in $(seq 50); do
        c=$(C journalctl -q -o export SYSLOG_IDENTIFIER=rdnscheck-test MESSAGE="$mark" | sed -n 's/^__CURSOR=//p')
        [[ -n $c ]] && { echo "$c"; return 0; }
        sleep 0.05
    done
    echo "run.sh: marker $MARKS did not reach the journal" >&2
}
jsince() {
    local c=$1
    shift
    C journalctl -q --no-pager --cursor="$c" "$@"
}
# waitfor SECONDS CMD...: true as soon as CMD succeeds (polled every 0.2 s), false after SECONDS.
waitfor() {
    local end
    end=$(awk -v t="$(now)" -v s="$1" 'BEGIN { printf "%.3f", t + s }')
    shift
    while :; do
        "$@" && return 0
        awk -v t="$(now)" -v e="$end" 'BEGIN { exit !(t >= e) }' && return 1
        sleep 0.2
    done
}
is_active() { [[ $(show "${1:-$U}" ActiveState) == active ]]; }
# PID 1's notification log lines for the unit after a cursor: "(READY=1, STATUS=...)".
notifications() { jsince "$1" UNIT="$U" -o cat | grep -a 'Got notification message'; }
# What the daemon (the unit's main program, by its syslog identifier: not PID 1's lines about the unit, nor the
# sandbox set-up messages of PID 1's forked child) logged after a cursor; more journalctl arguments may follow.
daemon_log() {
    local c=$1 unit=$2
    shift 2
    jsince "$c" _SYSTEMD_UNIT="$unit" SYSLOG_IDENTIFIER="$IDENT" -o cat "$@"
}
# The same, each line with its journal priority: "<4> message".
daemon_log_priorities() {
    jsince "$1" _SYSTEMD_UNIT="$2" SYSLOG_IDENTIFIER="$IDENT" -o export | awk '
        /^PRIORITY=/ { p = substr($0, 10) }
        /^MESSAGE=/ { m = substr($0, 9) }
        /^$/ { if (m != "") print "<" p "> " m; p = ""; m = "" }'
}
# PID 1's lines about a unit after a cursor, without its debug chatter.
pid1_log() {
    jsince "$1" UNIT="${2:-$U}" -o cat | grep -a -v -e 'Got notification' -e 'Failed to parse system call' \
        -e '[Jj]ob ' -e cgroup -e Collecting -e 'Changed ' -e 'enqueue' -e 'Will spawn' -e 'About to execute' \
        -e 'Forked ' -e 'Kernel keyring' -e 'belongs to' -e 'bind-dev' -e 'RLIMIT_NOFILE' -e 'Passing [0-9]* fds' \
        -e 'Skipping' -e 'Control group' -e 'New main PID' -e 'Supervising process'
}
# evidence CURSOR [UNIT]: what the unit and PID 1 said since the cursor, indented.
evidence() {
    local unit=${2:-$U}
    daemon_log "$1" "$unit" | sed 's/^/daemon: /' | tail -n 12 | note
    pid1_log "$1" "$unit" | sed 's/^/pid 1:  /' | tail -n 8 | note
}
# The sender expected of a notification: the main PID, or with --fake-daemon any PID (its systemd-notify
# children send them, with NotifyAccess=all).
from_pid() { if ((FAKE)); then echo '[0-9]*'; else echo "$1"; fi; }
daemon_reload() { C systemctl daemon-reload; }
snapshot() { C systemctl status "${2:-$U}" --no-pager -l -n 0 >"$OUT/status-$1.txt" 2>&1; }
require_active() {
    is_active && return 0
    WHY="rdnscheck.service is not active ($(show "$U" ActiveState)/$(show "$U" SubState), Result=$(show "$U" Result), exit $(show "$U" ExecMainStatus))"
    return 1
}
fresh_start() {   # stop, clear failure state, start; returns start's status
    C systemctl stop "$U" 2>/dev/null
    C systemctl reset-failed "$U" 2>/dev/null
    C timeout 30 systemctl start "$U"
}
set_mail_address() {   # set_mail_address OLD NEW: edit mail.example.test's A record and restart NSD
    C sed -i "s/^mail\([[:space:]]\{1,\}\)A\([[:space:]]\{1,\}\)${1//./\\.}\$/mail\1A\2$2/" /etc/nsd/zones/example.test.zone
    C systemctl restart nsd.service
}

# ------------------------------------------------------------------------------------------ checks
check_boot() {
    echo "   is-system-running: $state"
    C systemctl --failed --no-legend --plain | note
    [[ $state == running ]] && return 0
    WHY="system state '$state' (failed units above)"
    return 1
}
check_nsd() {
    is_active nsd.service && C /usr/sbin/nsd-checkconf /etc/nsd/nsd.conf && return 0
    C journalctl -q --no-pager -u nsd.service -n 20 -o cat | note
    WHY="nsd.service $(show nsd.service ActiveState)"
    return 1
}
check_resolved_setup() {
    local own
    # The container has no iproute2: the host's ip in the container's network namespace. A kernel without the dummy
    # module gets the address on lo, which resolved counts as the host's too.
    if nsenter -t "$LEADER" -n -- ip link add dummy0 type dummy 2>/dev/null; then
        nsenter -t "$LEADER" -n -- ip link set dummy0 up
        nsenter -t "$LEADER" -n -- ip addr add "$OWN_ADDRESS/24" dev dummy0
    else
        nsenter -t "$LEADER" -n -- ip addr add "$OWN_ADDRESS/32" dev lo
    fi
    own=$(nsenter -t "$LEADER" -n -- ip -brief addr | grep -F "$OWN_ADDRESS")
    echo "   $own"
    echo "   /etc/resolv.conf -> $(C readlink /etc/resolv.conf); resolved's upstream file:"
    C grep -v '^#' /run/systemd/resolve/resolv.conf | note
    is_active systemd-resolved.service ||
        { WHY="systemd-resolved.service $(show systemd-resolved.service ActiveState)"; return 1; }
    [[ -n $own ]] || { WHY="$OWN_ADDRESS is on no interface"; return 1; }
    C grep -q '^nameserver 127\.0\.0\.1$' /run/systemd/resolve/resolv.conf && return 0
    WHY="/run/systemd/resolve/resolv.conf does not list NSD (127.0.0.1)"
    return 1
}
# rdnscheck_once ARGS...: rdnscheck --once in the container; prints its output, indented, and sets ONCE_RC and
# ONCE_OUT.
rdnscheck_once() {
    ONCE_OUT=$(C /usr/local/bin/rdnscheck --once --timeout 2s "$@" 2>&1)
    ONCE_RC=$?
    echo "   rdnscheck --once --timeout 2s $* -> exit $ONCE_RC"
    note <<<"$ONCE_OUT"
}
check_resolved_synthesizes() {
    local stub engine ok=0
    for stub in 127.0.0.53 127.0.0.54; do
        for engine in libresolv pipelined; do
            rdnscheck_once --engine "$engine" --nameserver "$stub" "$OWN_ADDRESS"
            if [[ $ONCE_RC != 1 ]] ||
                ! grep -q "^WARNING  *$OWN_ADDRESS .*synthesized-answer: PTR .* was made up" <<<"$ONCE_OUT"; then
                WHY="${WHY:+$WHY; }$engine via $stub: exit $ONCE_RC, not a WARNING synthesized-answer"
                ok=1
            fi
        done
    done
    return $ok
}
check_resolved_upstream() {
    local engine ok=0
    for engine in libresolv pipelined; do
        rdnscheck_once --engine "$engine" "$OWN_ADDRESS"
        if [[ $ONCE_RC != 2 ]] || ! grep -q "^CRITICAL  $OWN_ADDRESS .*no-ptr" <<<"$ONCE_OUT"; then
            WHY="${WHY:+$WHY; }$engine: exit $ONCE_RC, not a CRITICAL no-ptr"
            ok=1
        fi
        if ! grep -q "upstream servers of /run/systemd/resolve/resolv.conf instead: 127\.0\.0\.1$" <<<"$ONCE_OUT"; then
            WHY="${WHY:+$WHY; }$engine: no notice naming resolved's upstream"
            ok=1
        fi
    done
    return $ok
}
# once_unit NAME DROPIN: runs rdnscheck-once.service once with the drop-in text DROPIN (its sandbox is the daemon's,
# line for line), then removes it; sets UNIT_LOG (rdnscheck's journal lines of the run, `<PRIORITY> MESSAGE`) and
# UNIT_STATUS (its exit status).
once_unit() {
    local once=rdnscheck-once.service dropin=$MERGED/etc/systemd/system/rdnscheck-once.service.d c
    mkdir -p "$dropin"
    printf '%s\n' "$2" >"$dropin/60-$1.conf"
    daemon_reload
    c=$(cursor)
    C timeout 60 systemctl start "$once" 2>&1 | note    # fails when the run is not OK
    UNIT_LOG=$(jsince "$c" _SYSTEMD_UNIT="$once" SYSLOG_IDENTIFIER="$IDENT" -o export | awk '
        /^PRIORITY=/ { p = substr($0, 10) }
        /^MESSAGE=/ { m = substr($0, 9) }
        /^$/ { if (m != "") print "<" p "> " m; p = ""; m = "" }')
    UNIT_STATUS=$(show "$once" ExecMainStatus)
    rm -f "$dropin/60-$1.conf"
    daemon_reload
    C systemctl reset-failed "$once" 2>/dev/null
    echo "   $once with $1: exit $UNIT_STATUS; its journal, with priorities:"
    note <<<"$UNIT_LOG"
}
check_resolved_in_unit() {
    local notices
    once_unit resolved-test "$(printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/rdnscheck --once %s' \
        "$OWN_ADDRESS")"
    notices=$(grep -c "^<5> .*upstream servers of /run/systemd/resolve/resolv.conf instead: 127\.0\.0\.1$" <<<"$UNIT_LOG")
    [[ $notices == 1 ]] || { WHY="$notices notice lines naming resolved's upstream, not 1"; return 1; }
    grep -q "^<6> CRITICAL  $OWN_ADDRESS .*no-ptr" <<<"$UNIT_LOG" || { WHY="no CRITICAL no-ptr line"; return 1; }
    [[ $UNIT_STATUS == 2 ]] || { WHY="exit $UNIT_STATUS, not 2"; return 1; }
}
# The shipped sandbox on EC2: the metadata service is reachable from it, and `aws` takes the instance role's
# credentials from it (no ~/.aws: ProtectHome=yes, a dynamic user). rdnscheck-once.service (the daemon's sandbox,
# line for line) runs the EC2 configuration once; the stand-ins run beside it as transient units.
check_ec2_in_unit() {
    local ok=0
    C systemd-run --quiet --unit=imds-stub python3 "$STUBS/imds-stub.py" "$STUBS/instance.json" --port "$IMDS_PORT" \
        --log /run/imds-requests.log
    C systemd-run --quiet --unit=ec2-api-stub python3 "$STUBS/ec2-api-stub.py" "$STUBS/elastic-ips.json" \
        --port "$EC2_API_PORT"
    waitfor 10 C bash -c "exec 3<>/dev/tcp/127.0.0.1/$IMDS_PORT && exec 4<>/dev/tcp/127.0.0.1/$EC2_API_PORT" ||
        { WHY="the stand-ins do not listen"; C systemctl stop imds-stub ec2-api-stub 2>/dev/null; return 1; }
    once_unit ec2-test "$(printf '[Service]\nEnvironment=AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%s/\n%s\n%s' \
        "$IMDS_PORT" "ExecStart=" "ExecStart=/usr/local/bin/rdnscheck --once -c /etc/rdnscheck/ec2.conf")"
    echo "   the metadata-service stand-in's requests:"
    C cat /run/imds-requests.log | note
    if ! grep -q "^<6> WARNING   203\.0\.113\.25 .*ptr-update-pending: AWS has not yet made the PTR update" \
        <<<"$UNIT_LOG"; then
        WHY="${WHY:+$WHY; }no WARNING ptr-update-pending for 203.0.113.25"; ok=1
    fi
    if ! grep -q "^<6>   fix: .*aws ec2 modify-address-attribute --allocation-id eipalloc-0a1b2c3d4e5f60027 " \
        <<<"$UNIT_LOG"; then
        WHY="${WHY:+$WHY; }no fix line with the aws command for 203.0.113.27"; ok=1
    fi
    if grep -q "aws-unavailable\|discovery-failed" <<<"$UNIT_LOG"; then
        WHY="${WHY:+$WHY; }aws-unavailable or discovery-failed"; ok=1
    fi
    # rdnscheck's own requests, then awscli's for the instance role's credentials.
    if ! C grep -q "^GET /latest/meta-data/network/interfaces/macs/ 200 token=ok" /run/imds-requests.log ||
        ! C grep -q "^GET /latest/meta-data/iam/security-credentials/mail-relay 200" /run/imds-requests.log; then
        WHY="${WHY:+$WHY; }the metadata service did not serve both the addresses and the role's credentials"; ok=1
    fi
    [[ $UNIT_STATUS == 2 ]] || { WHY="${WHY:+$WHY; }exit $UNIT_STATUS, not 2"; ok=1; }
    C systemctl stop imds-stub ec2-api-stub 2>/dev/null
    return $ok
}
# discover interfaces in the sandbox: getifaddrs needs AF_NETLINK, which the units allow. The container's one global
# address is $OWN_ADDRESS (check_resolved_setup put it there), without a PTR.
check_interfaces_in_unit() {
    once_unit interfaces-test "$(printf '[Service]\n%s\n%s' "ExecStart=" \
        "ExecStart=/usr/local/bin/rdnscheck --once -c /etc/rdnscheck/interfaces.conf")"
    grep -q "discovery-failed" <<<"$UNIT_LOG" && { WHY="discovery-failed"; return 1; }
    grep -q "^<6> CRITICAL  $OWN_ADDRESS .*no-ptr" <<<"$UNIT_LOG" || { WHY="$OWN_ADDRESS not checked"; return 1; }
    [[ $UNIT_STATUS == 2 ]] || { WHY="exit $UNIT_STATUS, not 2"; return 1; }
}
check_verify_inside() {
    local out rc
    out=$(C systemd-analyze verify --man=no rdnscheck.service rdnscheck-once.service rdnscheck.timer 2>&1)
    rc=$?
    [[ -n $out ]] && note <<<"$out"
    [[ $rc == 0 && -z $out ]] && return 0
    WHY="systemd-analyze verify: exit $rc, $(wc -l <<<"$out") lines"
    return 1
}
check_start_ready() {
    local c rc t n ready started main
    c=$(cursor)
    t=$(now)
    fresh_start 2>&1 | note
    rc=${PIPESTATUS[0]}
    echo "   systemctl start: exit $rc after $(dt "$t" "$(now)")s; $(show "$U" ActiveState)/$(show "$U" SubState)," \
        "Type=$(show "$U" Type), MainPID=$(show "$U" MainPID)"
    snapshot start
    evidence "$c"
    if [[ $rc != 0 ]] || ! is_active; then
        WHY="start failed: Result=$(show "$U" Result), ExecMainCode=$(show "$U" ExecMainCode) ExecMainStatus=$(show "$U" ExecMainStatus)"
        return 1
    fi
    main=$(show "$U" MainPID)
    # READY=1 from the main PID, then PID 1's "start -> running" transition: active only after READY.
    n=$(jsince "$c" UNIT="$U" -o cat)
    ready=$(grep -a -n "Got notification message from PID $(from_pid "$main") (.*READY=1" <<<"$n" | head -n 1 | cut -d: -f1)
    started=$(grep -a -n 'Changed start -> running' <<<"$n" | head -n 1 | cut -d: -f1)
    grep -a -m 1 "Got notification message from PID $(from_pid "$main") (.*READY=1" <<<"$n" | note
    echo "   READY=1 from the main PID at PID 1's line ${ready:-none}, start -> running at line ${started:-none}"
    if grep -aq 'reception only permitted for main PID' <<<"$n"; then
        WHY="notifications from a process other than the main PID were refused"
        return 1
    fi
    [[ -n $ready && -n $started && $ready -lt $started ]] && return 0
    WHY="no READY=1 from the main PID before the unit became active"
    return 1
}
check_status_line() {
    require_active || return 1
    # STATUS= comes after each run; the first run starts at once.
    has_status() { local s; s=$(show "$U" StatusText); [[ -n $s && $s != starting ]]; }
    waitfor 15 has_status
    snapshot status
    note <"$OUT/status-status.txt"
    grep -q '^ *Status: "..*"' "$OUT/status-status.txt" && return 0
    WHY="no Status: line in systemctl status"
    return 1
}
# libdispatch's manager thread asks for nice -4 (its user-interactive QoS) and logs "Failed to set thread priority
# for worker thread: ... errno=13" when RLIMIT_NICE forbids it: the units raise the limit with LimitNICE=-4. A
# container cannot be given more than its host allows: where this machine lacks CAP_SYS_RESOURCE (some sandboxes)
# the limit stays 0 inside, and the check can only show that the unit asks for it.
check_thread_priority() {
    require_active || return 1
    local main soft asked lines capeff
    main=$(show "$U" MainPID)
    asked=$(show "$U" LimitNICE)
    soft=$(C awk '/^Max nice priority/ { print $4 }' "/proc/$main/limits")
    lines=$(C journalctl -q --no-pager _PID="$main" -o cat | grep -ac 'Failed to set thread priority')
    echo "   unit LimitNICE=$asked; the daemon's RLIMIT_NICE $soft; 'Failed to set thread priority' lines: $lines"
    if [[ $asked != 24 ]]; then
        WHY="the unit does not raise RLIMIT_NICE to 24 (nice -4): LimitNICE=$asked"
        return 1
    fi
    if ((soft >= 24)); then
        ((lines == 0)) && return 0
        WHY="libdispatch still could not set its thread priority with RLIMIT_NICE $soft"
        return 1
    fi
    capeff=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
    if (((16#$capeff >> 24) & 1)); then
        WHY="systemd did not apply LimitNICE=-4 (RLIMIT_NICE $soft) although this machine could"
        return 1
    fi
    echo "   not checkable here: this machine lacks CAP_SYS_RESOURCE, so no process in the container gets more than"
    echo "   its RLIMIT_NICE 0; the unit asks for 24"
    return 0
}
check_reload() {
    require_active || return 1
    local c pid1 pid2 rc n r1 r2
    pid1=$(show "$U" MainPID)
    c=$(cursor)
    C timeout 30 systemctl reload "$U"
    rc=$?
    running() { [[ $(show "$U" SubState) == running ]]; }
    waitfor 5 running
    sleep 0.5
    pid2=$(show "$U" MainPID)
    n=$(notifications "$c")
    note <<<"$n"
    evidence "$c"
    echo "   systemctl reload: exit $rc; MainPID $pid1 -> $pid2; $(show "$U" ActiveState)/$(show "$U" SubState)"
    r1=$(grep -a -n "from PID $(from_pid "$pid1") (.*RELOADING=1" <<<"$n" | head -n 1 | cut -d: -f1)
    r2=$(grep -a -n "from PID $(from_pid "$pid1") (.*READY=1" <<<"$n" | tail -n 1 | cut -d: -f1)
    [[ $rc == 0 ]] || { WHY="systemctl reload failed"; return 1; }
    [[ $pid1 == "$pid2" ]] || { WHY="MainPID changed ($pid1 -> $pid2)"; return 1; }
    [[ -n $r1 ]] || { WHY="no RELOADING=1 notification"; return 1; }
    grep -a "from PID $(from_pid "$pid1") (.*RELOADING=1" <<<"$n" | has 'MONOTONIC_USEC=' || { WHY="RELOADING=1 without MONOTONIC_USEC="; return 1; }
    [[ -n $r2 && $r2 -gt $r1 ]] || { WHY="no READY=1 after RELOADING=1"; return 1; }
    is_active || { WHY="not active after reload"; return 1; }
}
check_drift_warning() {
    require_active || return 1
    local c w
    # mail.example.test (192.0.2.10) now points elsewhere: a forward-mismatch, a drift for the worse.
    set_mail_address 192.0.2.10 192.0.2.99
    C grep -a '^mail[[:space:]]' /etc/nsd/zones/example.test.zone | note
    c=$(cursor)
    DRIFT_CURSOR=$c
    C systemctl kill -s USR1 --kill-who=main "$U"
    drift_logged() { daemon_log "$c" "$U" -p warning..warning | has -a '192\.0\.2\.10'; }
    waitfor 15 drift_logged
    w=$(daemon_log "$c" "$U" -p warning..warning)
    echo "   journalctl _SYSTEMD_UNIT=$U SYSLOG_IDENTIFIER=$IDENT -p warning..warning after SIGUSR1:"
    note <<<"$w"
    echo "   everything the daemon logged after SIGUSR1, with journal priorities:"
    daemon_log_priorities "$c" "$U" | note
    set_mail_address 192.0.2.99 192.0.2.10   # back to the original zone for the checks that follow
    grep -aq '192\.0\.2\.10' <<<"$w" && return 0
    WHY="no warning-priority line naming 192.0.2.10 from the daemon within 15 s of SIGUSR1"
    return 1
}
check_textfile() {
    require_active || return 1
    local f=/var/lib/prometheus/node-exporter/rdnscheck.prom m
    written() { C test -s "$f"; }
    waitfor 5 written
    C ls -l "$f" 2>&1 | note
    m=$(C cat "$f" 2>/dev/null)
    grep -a -e '^# TYPE rdnscheck_address_status' -e '^rdnscheck_addresses' -e '^rdnscheck_last_run' <<<"$m" | note
    if ! grep -aq '^# TYPE rdnscheck_address_status gauge' <<<"$m" ||
        ! grep -aq '^rdnscheck_address_status{address="192.0.2.10"} 0' <<<"$m" ||
        ! grep -aq '^rdnscheck_addresses{status="ok"} 7' <<<"$m"; then
        C journalctl -q --no-pager _SYSTEMD_UNIT="$U" SYSLOG_IDENTIFIER="$IDENT" -p warning -o cat | tail -n 5 | note
        WHY="no complete $f (the documented ReadWritePaths=/SupplementaryGroups= drop-in is in place)"
        return 1
    fi
    # node_exporter runs as its own user (prometheus): the metrics are no use if it cannot read them.
    if ! C runuser -u prometheus -- cat "$f" >/dev/null 2>&1; then
        WHY="node_exporter's user (prometheus) cannot read $f: mode $(C stat -c %A "$f") (the unit's UMask=0077 applies unless the daemon sets the mode)"
        return 1
    fi
}
DRIFT_CURSOR=''
check_on_change() {
    [[ -n $DRIFT_CURSOR ]] || { WHY="no drift to look at"; return 1; }
    local out
    on_change_logged() { daemon_log "$DRIFT_CURSOR" "$U" | has -a 'on-change.*got 192\.0\.2\.10 ok -> critical'; }
    waitfor 5 on_change_logged
    out=$(daemon_log "$DRIFT_CURSOR" "$U" | grep -a 'on-change')
    note <<<"$out"
    grep -aq 'got 192\.0\.2\.10 ok -> critical problems=\[forward-mismatch\] names=\[mail\.example\.test\]' <<<"$out" && return 0
    WHY="no on-change output with RDNSCHECK_ADDRESS 192.0.2.10, ok -> critical, forward-mismatch"
    return 1
}
check_stop_clean() {
    require_active || return 1
    local c t rc p main
    c=$(cursor)
    main=$(show "$U" MainPID)
    t=$(now)
    C timeout 60 systemctl stop "$U"
    rc=$?
    echo "   systemctl stop: exit $rc after $(dt "$t" "$(now)")s"
    # An inactive unit is unloaded at once (its properties reset), so the evidence is PID 1's log.
    p=$(jsince "$c" UNIT="$U" -o cat)
    grep -a -e 'STOPPING=1' -e 'Main process exited' -e 'Deactivated' -e 'Failed with result' -e 'Killing' <<<"$p" | note
    daemon_log "$c" "$U" | tail -n 5 | sed 's/^/daemon: /' | note
    grep -aq "from PID $(from_pid "$main") (.*STOPPING=1" <<<"$p" || { WHY="no STOPPING=1 notification"; return 1; }
    grep -aq 'Main process exited, code=exited, status=0/SUCCESS' <<<"$p" || { WHY="the main process did not exit 0"; return 1; }
    grep -aq 'Deactivated successfully' <<<"$p" || { WHY="not 'Deactivated successfully' (Result=success)"; return 1; }
    [[ $rc == 0 ]] || { WHY="systemctl stop failed"; return 1; }
}
check_timer_once() {
    local once=rdnscheck-once.service timer=rdnscheck.timer ok=0 c
    mkdir -p "$MERGED/etc/systemd/system/$timer.d"
    printf '[Timer]\nOnCalendar=\nOnActiveSec=1s\nRandomizedDelaySec=0\nAccuracySec=1ms\nPersistent=false\n' \
        >"$MERGED/etc/systemd/system/$timer.d/50-test.conf"
    daemon_reload
    c=$(cursor)
    C systemctl start "$timer"
    once_ran() { [[ $(show "$once" ExecMainExitTimestampMonotonic) =~ ^[1-9] ]]; }
    waitfor 20 once_ran
    echo "   $timer: LastTriggerUSec=$(show "$timer" LastTriggerUSec)"
    echo "   $once: Result=$(show "$once" Result) ExecMainStatus=$(show "$once" ExecMainStatus)" \
        "ran $(show "$once" ExecMainStartTimestamp) .. $(show "$once" ExecMainExitTimestamp)"
    evidence "$c" "$once"
    [[ $(show "$once" ExecMainExitTimestampMonotonic) =~ ^[1-9] ]] || { WHY="$once did not run within 20 s"; ok=1; }
    if ((ok == 0)) && [[ $(show "$once" Result) != success ]]; then
        WHY="$once: Result=$(show "$once" Result), exit $(show "$once" ExecMainStatus)"
        ok=1
    fi
    C systemctl stop "$timer"
    rm -rf "$MERGED/etc/systemd/system/$timer.d"
    daemon_reload
    return $ok
}
WD_DROPIN=$MERGED/etc/systemd/system/rdnscheck.service.d/50-watchdog-test.conf
watchdog_setup() {
    printf '[Service]\nWatchdogSec=%ss\nExecStart=\nExecStart=%s -c /etc/rdnscheck/blackhole.conf --state /var/lib/rdnscheck/blackhole-state.json\n' \
        "$TEST_WATCHDOG_SEC" "$DAEMON" >"$WD_DROPIN"
    daemon_reload
    C systemctl start blackhole.socket
}
watchdog_teardown() {
    C systemctl kill -s CONT "$U" 2>/dev/null
    C systemctl stop "$U" blackhole.socket blackhole.service 2>/dev/null
    rm -f "$WD_DROPIN"
    daemon_reload
    C systemctl reset-failed "$U" 2>/dev/null
}
check_watchdog_long_run() {
    local c t pings
    c=$(cursor)
    fresh_start
    require_active || return 1
    t=$(now)
    echo "   WatchdogUSec=$(show "$U" WatchdogUSec); one run against 127.0.0.1:$BLACKHOLE_PORT lasts 3s x 2 attempts"
    # Watch for 7 s: longer than the run (6 s) and twice WatchdogSec.
    while awk -v a="$t" -v b="$(now)" 'BEGIN { exit !(b - a < 7) }'; do
        is_active || break
        sleep 0.5
    done
    pings=$(notifications "$c" | grep -c 'WATCHDOG=1')
    echo "   after $(dt "$t" "$(now)")s: $(show "$U" ActiveState)/$(show "$U" SubState), NRestarts=$(show "$U" NRestarts)," \
        "WATCHDOG=1 pings: $pings, blackhole.service (a query arrived): $(show blackhole.service ActiveState)"
    evidence "$c"
    if jsince "$c" UNIT="$U" -o cat | has -a 'Watchdog timeout'; then WHY="the watchdog fired during a long run"; return 1; fi
    is_active || { WHY="not active during the long run"; return 1; }
    [[ $(show "$U" NRestarts) == 0 ]] || { WHY="restarted"; return 1; }
    [[ $(show blackhole.service ActiveState) == active ]] || { WHY="no query reached the silent server"; return 1; }
    ((pings >= 2)) || { WHY="$pings WATCHDOG=1 pings in 7 s with WatchdogSec=${TEST_WATCHDOG_SEC}s"; return 1; }
}
check_watchdog_sigstop() {
    require_active || return 1
    local c t main
    c=$(cursor)
    main=$(show "$U" MainPID)
    t=$(now)
    C systemctl kill -s STOP --kill-who=main "$U"
    watchdog_fired() { jsince "$c" UNIT="$U" -o cat | has -a 'Watchdog timeout'; }
    waitfor $((TEST_WATCHDOG_SEC + 7)) watchdog_fired
    echo "   SIGSTOP to MainPID $main; after $(dt "$t" "$(now)")s:"
    jsince "$c" UNIT="$U" -o cat | grep -a -e 'Watchdog' -e 'Main process exited' -e 'Failed with result' -e 'Scheduled restart' | note
    jsince "$c" UNIT="$U" -o cat | has -a 'Watchdog timeout' && return 0
    WHY="no 'Watchdog timeout' within $((TEST_WATCHDOG_SEC + 7)) s of SIGSTOP"
    return 1
}
check_bad_config() {
    local c rc ok=0
    cp "$MERGED/etc/rdnscheck/rdnscheck.conf" "$RUN/config.good"
    printf 'interval 5m\nno-such-directive yes\ncheck 192.0.2.10\n' >"$MERGED/etc/rdnscheck/rdnscheck.conf"
    c=$(cursor)
    fresh_start 2>&1 | note
    rc=${PIPESTATUS[0]}
    sleep 2.5    # RestartSec=1s (test drop-in): a restart would have happened by now
    echo "   systemctl start: exit $rc; $(show "$U" ActiveState)/$(show "$U" SubState), Result=$(show "$U" Result)," \
        "ExecMainStatus=$(show "$U" ExecMainStatus), NRestarts=$(show "$U" NRestarts)"
    evidence "$c"
    if [[ $(show "$U" ExecMainStatus) != 6 ]]; then WHY="exit status $(show "$U" ExecMainStatus), not 6"; ok=1
    elif [[ $(show "$U" Result) != exit-code ]]; then WHY="Result=$(show "$U" Result)"; ok=1
    elif [[ $(show "$U" ActiveState) != failed ]]; then WHY="$(show "$U" ActiveState)/$(show "$U" SubState), not failed"; ok=1
    elif [[ $(show "$U" NRestarts) != 0 ]]; then WHY="restarted $(show "$U" NRestarts) times"; ok=1
    fi
    cp "$RUN/config.good" "$MERGED/etc/rdnscheck/rdnscheck.conf"
    C systemctl reset-failed "$U" 2>/dev/null
    return $ok
}

phase "container checks"
check check_boot "container boots: systemd 252 as PID 1, system running, no failed units"
check check_nsd "NSD serves Tests/Zones on 127.0.0.1:$NSD_PORT inside the container"
phase "resolved: no synthesized answers"
check check_resolved_setup "systemd-resolved runs, its upstream is NSD, $OWN_ADDRESS is the container's"
check check_resolved_synthesizes "asked through resolved's stubs, $OWN_ADDRESS's made-up PTR is synthesized-answer"
check check_resolved_upstream "without --nameserver, rdnscheck asks resolved's upstream: $OWN_ADDRESS is no-ptr"
check check_resolved_in_unit "in the sandboxed rdnscheck-once.service too, with one notice line in the journal"
check check_verify_inside "systemd-analyze verify of the installed units inside the container"
phase "EC2: discovery and AWS's records in the sandbox"
check check_ec2_in_unit "in the sandboxed unit, discover ec2 and aws-ptr on work with the instance role"
check check_interfaces_in_unit "in the sandboxed unit, discover interfaces finds the container's global address"

phase "daemon: start, status, reload"
check check_start_ready "systemctl start: active only after READY=1 (Type=notify)"
check check_status_line "systemctl status shows the daemon's STATUS= line"
check check_thread_priority "LimitNICE=-4 lets libdispatch set its thread priority (no errno=13 line)"
# The stand-in writes no metrics.
((FAKE)) || check check_textfile "textfile metrics written to node_exporter's directory through the documented drop-in"
check check_reload "systemctl reload: same MainPID, RELOADING=1 + MONOTONIC_USEC then READY=1"
phase "daemon: drift, stop"
check check_drift_warning "a drift (zone changed, SIGUSR1) is logged at warning priority"
# The stand-in has no on-change.
((FAKE)) || check check_on_change "on-change runs inside the sandbox with the drift in RDNSCHECK_* variables"
check check_stop_clean "systemctl stop: STOPPING=1, exit 0, Result=success"
phase "timer and one-shot service"
check check_timer_once "rdnscheck.timer runs rdnscheck-once.service (sandboxed --once against NSD succeeds)"
phase "watchdog"
watchdog_setup
check check_watchdog_long_run "a run longer than WatchdogSec (silent server) does not trip the watchdog"
check check_watchdog_sigstop "a stopped process (SIGSTOP) trips the watchdog"
watchdog_teardown
phase "bad configuration"
check check_bad_config "invalid configuration at start: exit 6, Result=exit-code, no restart loop"

# The Debian package (make deb) on this machine, after `make uninstall` of the /usr/local install above (its units
# in /usr/local/lib/systemd/system would hide the package's in /usr/lib/systemd/system). The configuration the operator
# writes is the test's; the files the operator made earlier (the other configurations in /etc/rdnscheck, the drop-ins,
# the on-change program, the textfile) must outlive the purge.
DEB_DIR=/var/cache/rdnscheck-test
DEB_MAIN_PID='' DEB_FIRST='' DEB_UPGRADE=''
# shellcheck disable=SC2016  # dpkg-query's format, not the shell's
deb_status() { C dpkg-query -W -f '${Status} ${Version}' rdnscheck 2>/dev/null; }
# apt_get ARGS...: apt-get in the container, as an operator would run it, without a terminal; its output, indented.
apt_get() {
    local out rc
    out=$(C env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@" 2>&1)
    rc=$?
    echo "   apt-get $* -> exit $rc"
    grep -v -e '^Reading ' -e '^Building ' -e '^ *$' <<<"$out" | tail -n 12 | note
    return $rc
}
deb_setup() {
    local pid ok=0
    for pid in "${DEB_BUILDS[@]}"; do wait "$pid" || ok=1; done
    cat "$OUT"/deb-build-*.log | note
    ((ok == 0)) || harness_error "packaging/deb/build.sh failed (logs: $OUT/deb-build-*.log)"
    C systemctl stop "$U" rdnscheck.timer 2>/dev/null
    mv "$MERGED/etc/rdnscheck/rdnscheck.conf" "$RUN/config.operator"
    # A machine that never ran rdnscheck: the packaged daemon's first run writes the state that purge removes.
    C rm -rf /var/lib/private/rdnscheck /var/lib/rdnscheck
    "$MAKE" -C "$REPO" --no-print-directory -s uninstall DESTDIR="$MERGED" PREFIX=/usr/local 2>&1 | note
    mkdir -p "$MERGED$DEB_DIR"
    cp "$RUN"/debs/*.deb "$MERGED$DEB_DIR/"
    DEB_FIRST=$DEB_DIR/$(basename "$RUN"/debs/rdnscheck_*-1_*.deb)
    DEB_UPGRADE=$DEB_DIR/$(basename "$RUN"/debs/rdnscheck_*-2_*.deb)
    daemon_reload
}
DEB_PACKAGE_FILES="/usr/bin/rdnscheck /usr/lib/systemd/system/rdnscheck.service
    /usr/lib/systemd/system/rdnscheck-once.service /usr/lib/systemd/system/rdnscheck.timer
    /usr/share/man/man8/rdnscheck.8.gz /etc/rdnscheck/rdnscheck.conf /usr/share/bash-completion/completions/rdnscheck
    /usr/share/doc/rdnscheck/copyright"
check_deb_install() {
    local f ok=0
    apt_get install --no-install-recommends "$DEB_FIRST" || { WHY="apt-get install failed"; return 1; }
    echo "   dpkg: $(deb_status)"
    [[ $(deb_status) == "install ok installed "*-1 ]] || { WHY="not installed: $(deb_status)"; ok=1; }
    for f in $DEB_PACKAGE_FILES; do
        C test -f "$f" || { WHY="${WHY:+$WHY; }no $f"; ok=1; }
    done
    C systemctl cat "$U" | grep -a -e '^# /' -e '^ExecStart=' | note
    C systemctl cat "$U" | has -a '^ExecStart=/usr/bin/rdnscheck ' ||
        { WHY="${WHY:+$WHY; }$U runs no /usr/bin/rdnscheck"; ok=1; }
    return $ok
}
check_deb_not_started() {
    local unit state ok=0
    for unit in "$U" rdnscheck.timer rdnscheck-once.service; do
        state="$(C systemctl is-enabled "$unit" 2>&1)/$(show "$unit" ActiveState)"
        echo "   $unit: $state"
        [[ $state == disabled/inactive || $state == static/inactive ]] || { WHY="${WHY:+$WHY; }$unit $state"; ok=1; }
    done
    return $ok
}
check_deb_start() {
    cp "$RUN/config.operator" "$MERGED/etc/rdnscheck/rdnscheck.conf"
    C systemctl enable --now "$U" 2>&1 | note
    require_active || return 1
    DEB_MAIN_PID=$(show "$U" MainPID)
    echo "   $U: $(show "$U" ActiveState)/$(show "$U" SubState), MainPID $DEB_MAIN_PID," \
        "$(show "$U" ExecMainStartTimestamp)"
    has_state() { C test -s /var/lib/private/rdnscheck/state.json; }
    waitfor 10 has_state || { WHY="no state file after the first run"; return 1; }
    C ls -l /var/lib/private/rdnscheck/state.json | note
}
check_deb_upgrade() {
    [[ -n $DEB_MAIN_PID ]] || { WHY="the service did not start"; return 1; }
    local pid ok=0
    apt_get install --no-install-recommends "$DEB_UPGRADE" || { WHY="apt-get install failed"; return 1; }
    running() { is_active && [[ $(show "$U" SubState) == running ]]; }
    waitfor 10 running
    pid=$(show "$U" MainPID)
    echo "   dpkg: $(deb_status); $U: $(show "$U" ActiveState)/$(show "$U" SubState), MainPID $DEB_MAIN_PID -> $pid;" \
        "$(C systemctl is-enabled "$U")"
    C ls /etc/rdnscheck | note
    [[ $(deb_status) == "install ok installed "*-2 ]] || { WHY="not upgraded: $(deb_status)"; ok=1; }
    cmp -s "$RUN/config.operator" "$MERGED/etc/rdnscheck/rdnscheck.conf" ||
        { WHY="${WHY:+$WHY; }the operator's rdnscheck.conf was replaced"; ok=1; }
    ! C ls /etc/rdnscheck | has 'dpkg' || { WHY="${WHY:+$WHY; }dpkg left a .dpkg-* file"; ok=1; }
    running || { WHY="${WHY:+$WHY; }not running after the upgrade"; ok=1; }
    [[ -n $pid && $pid != 0 && $pid != "$DEB_MAIN_PID" ]] || { WHY="${WHY:+$WHY; }not restarted (MainPID $pid)"; ok=1; }
    [[ $(C systemctl is-enabled "$U") == enabled ]] || { WHY="${WHY:+$WHY; }no longer enabled"; ok=1; }
    return $ok
}
check_deb_purge() {
    local f ok=0
    apt_get purge rdnscheck || { WHY="apt-get purge failed"; return 1; }
    echo "   dpkg: $(deb_status || true); $U: $(show "$U" ActiveState); rdnscheck processes: $(C pgrep -c -x rdnscheck)"
    [[ -z $(deb_status) || $(deb_status) == "unknown ok not-installed "* ]] ||
        { WHY="still known to dpkg: $(deb_status)"; ok=1; }
    C pgrep -x rdnscheck >/dev/null && { WHY="${WHY:+$WHY; }an rdnscheck process still runs"; ok=1; }
    for f in $DEB_PACKAGE_FILES /usr/share/doc/rdnscheck /var/lib/private/rdnscheck /var/lib/rdnscheck \
        /etc/systemd/system/multi-user.target.wants/rdnscheck.service; do
        C test -e "$f" -o -L "$f" && { WHY="${WHY:+$WHY; }$f is left"; ok=1; }
    done
    echo "   kept:"
    for f in /etc/rdnscheck/ec2.conf /etc/rdnscheck/interfaces.conf /etc/rdnscheck/blackhole.conf \
        /etc/systemd/system/rdnscheck.service.d/30-textfile.conf /usr/local/libexec/rdnscheck-test-on-change \
        /var/lib/prometheus/node-exporter/rdnscheck.prom; do
        if C test -f "$f"; then echo "     $f"; else WHY="${WHY:+$WHY; }$f (the operator's) is gone"; ok=1; fi
    done
    return $ok
}
if ((FAKE == 0)); then
    phase "Debian package"
    deb_setup
    check check_deb_install "apt-get install ./rdnscheck_*-1.deb (no network): binary, units, man page, conffile"
    check check_deb_not_started "the package neither enables nor starts a unit"
    check check_deb_start "with the operator's configuration, systemctl enable --now runs the packaged daemon"
    check check_deb_upgrade "apt-get install ./rdnscheck_*-2.deb while it runs: configuration kept, service restarted"
    check check_deb_purge "apt-get purge: package files, conffile, state, enable link gone; the operator's kept"
fi

phase "collect logs"
collect_logs
phase_end

echo
echo "== summary ($( ((FAKE)) && echo "fake daemon around $BIN" || echo "$BIN"))"
printf '   %s\n' "${RESULTS[@]}"
echo "   timings:"
printf '     %s\n' "${TIMINGS[@]}"
echo "   total before container stop: $(dt "$T_ALL" "$(now)")s; logs in $OUT"
echo "   $FAILED of ${#RESULTS[@]} checks failed"
((FAILED == 0))
