#!/usr/bin/env bash
# The receiver suite (issue 13, item 3): rdnscheck's `postfix-client` and `postfix-reverse` verdicts against what a
# real Postfix does, for `make test` and `make test-receivers`:
#
#   Tests/Receivers/run.sh [RDNSCHECK_BINARY]     default .build/release/rdnscheck; needs root
#
# Everything runs in a network and mount namespace of the script's own (`unshare --net --mount`), so ports 53 and
# 25xx are the namespace's and /etc/resolv.conf is a bind-mounted temporary file; nothing of the host changes.
# In it: `lo` with 127.0.0.1, ::1, 203.0.113.0/24 and 2001:db8::/64; NSD serving zones/ on 127.0.0.1:5300;
# Unbound, a real recursive resolver, on 127.0.0.1:53 with a stub zone per test zone, a stub zone for down.test
# and 100.51.198.in-addr.arpa pointing at that NSD, which does not serve them and answers REFUSED (a zone whose
# servers are down: Unbound answers SERVFAIL), and a trust anchor for bogus.test that is a stale DS (the zone is
# signed with ldns-signzone by a fresh key, the DS is another key's, as after a key change without a DS update:
# every answer is bogus, SERVFAIL, and the data comes with the CD bit; checked with drill), and a stub zone for
# silent.test at a UDP socket that never answers; `local-zone: "." static`
# answers NXDOMAIN for every other name, as the root would for `192.0.2.1.`. Postfix 3.7 (its own config,
# queue and data directories, `maillog_file`, no chroot, mynetworks empty) listens on 203.0.113.1 and 2001:db8::1
# with four smtpd services:
#
#   port 2501  reject_unknown_client_hostname          unknown_client_reject_code = 450   (rule postfix-client)
#   port 2502  reject_unknown_client_hostname          unknown_client_reject_code = 550   (rule postfix-client)
#   port 2503  reject_unknown_reverse_client_hostname  unknown_client_reject_code = 450   (rule postfix-reverse)
#   port 2504  reject_unknown_reverse_client_hostname  unknown_client_reject_code = 550   (rule postfix-reverse)
#
# For each resolv.conf setting (`search example.test`, then no search domain; Postfix restarted in between), each
# case of cases.tsv and each service, smtp_probe.py connects from the case's address (several times where the
# case says so) and records the reply to RCPT; rdnscheck (`--once --format json --nameserver 127.0.0.1`) checks
# every case's address. compare.py then holds each verdict against Postfix's replies, for each rule, over both
# codes, both settings and every connection (the matching rule):
#
#   accept   every RCPT got 250
#   reject   every RCPT got the service's configured code (450 or 550) with "cannot find your hostname"
#            (postfix-client) or "cannot find your reverse hostname" (postfix-reverse)
#   defer    every RCPT got 450 with that text, whatever the configured code (a temporary lookup failure)
#   at-risk  every RCPT got 250, the configured code or 450 (with that text), and the outcomes with code 550
#            differ across connections or across the two settings (where they do not, the suite fails: the
#            verdict said "depends" and Postfix did the same everywhere)
#
# It prints every case's replies, the names Postfix logged for each address (`connect from NAME[ADDRESS]`, and
# the PTR names of its "does not resolve" warnings), every mismatch in full and a summary line with the number of
# cases, connections and comparisons; exit 0 when everything matches, 1 otherwise. About 10 s (2 cores, busy).
# Postfix, Unbound, NSD, ldnsutils and iproute2 are installed from Debian's packages when missing (with a
# policy-rc.d that keeps their services from starting); the host's own services are never started.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/.build/release/rdnscheck}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

say() { echo "receivers: $*"; }
# Seconds since the namespace was entered, for the log's phase lines.
elapsed() { awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }
die() {
    say "FAILED: $*" >&2
    exit 1
}

# --- outside: packages, then the namespace -----------------------------------------------------------------------
if [[ ${RECEIVERS_IN_NAMESPACE:-} != 1 ]]; then
    [[ -x $bin ]] || die "no rdnscheck binary at $bin (make release)"
    ((EUID == 0)) || die "needs root (network namespace, Postfix as root with mail_owner postfix)"
    need=()
    [[ -x /usr/sbin/postfix ]] || need+=(postfix)
    [[ -x /usr/sbin/unbound ]] || need+=(unbound)
    [[ -x /usr/sbin/nsd ]] || need+=(nsd)
    command -v drill >/dev/null || need+=(ldnsutils)
    command -v ip >/dev/null || need+=(iproute2)
    command -v python3 >/dev/null || need+=(python3)
    if ((${#need[@]} > 0)); then
        say "installing ${need[*]} (Debian packages)"
        # The packages' services must not start on the host (port 25, port 53): a policy-rc.d that exits 101,
        # written for the install only when the host has none.
        policy=/usr/sbin/policy-rc.d own_policy=0
        if [[ ! -e $policy ]]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
        fi
        status=0
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
        apt-get update -qq -o DPkg::Lock::Timeout=300 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null || status=$?
        ((own_policy == 0)) || rm -f "$policy"
        ((status == 0)) || die "cannot install ${need[*]}"
    fi
    exec env RECEIVERS_IN_NAMESPACE=1 unshare --net --mount --propagation private "$0" "$bin"
fi

# --- inside the namespace --------------------------------------------------------------------------------------
started=$(date +%s.%N)
work=$(mktemp -d /tmp/rdnscheck-receivers.XXXXXX)
# Postfix's processes run as the postfix user and must reach the queue below this directory.
chmod 755 "$work"
pf=$work/postfix
unbound_pid='' silent_pid=''
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    postfix -c "$pf" stop >/dev/null 2>&1 || true
    [[ -z $silent_pid ]] || kill -TERM "$silent_pid" 2>/dev/null || true
    [[ -z $unbound_pid ]] || kill -TERM "$unbound_pid" 2>/dev/null || true
    [[ -z $unbound_pid ]] || wait "$unbound_pid" 2>/dev/null || true
    "$root/Tests/Scripts/nsd-demo.sh" stop "$work/nsd" >/dev/null 2>&1 || true
    if [[ ${RECEIVERS_KEEP:-} == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

ip link set lo up
sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null || true
ip addr add 203.0.113.1/24 dev lo
ip addr add 198.51.100.1/24 dev lo
ip -6 addr add 2001:db8::1/64 dev lo nodad
while read -r name address _; do
    [[ $name == \#* || -z $name ]] && continue
    case $address in
    *:*) ip -6 addr replace "$address/128" dev lo nodad ;;
    *) ip addr replace "$address/32" dev lo ;;
    esac
done <"$here/cases.tsv"

# The resolv.conf Postfix (and glibc) reads: a file bind-mounted over the host's, rewritten in place per setting.
resolv=$work/resolv.conf
echo "nameserver 127.0.0.1" >"$resolv"
mount --bind "$resolv" /etc/resolv.conf || die "cannot bind-mount $resolv over /etc/resolv.conf"

# --- NSD and Unbound ---------------------------------------------------------------------------------------------
nsd_port=5300
# bogus.test signed by a new key, and the DS of an old one for Unbound's trust anchor.
mkdir -p "$work/zones" "$work/keys"
cp "$here"/zones/*.zone "$work/zones/"
(
    cd "$work/keys"
    key=$(ldns-keygen -k -a ECDSAP256SHA256 bogus.test)
    old=$(ldns-keygen -k -a ECDSAP256SHA256 bogus.test)
    ldns-signzone -f "$work/keys/signed.zone" "$work/zones/bogus.test.zone" "$key"
    # nsd-demo.sh names each zone by its file's $ORIGIN line, which ldns-signzone does not write.
    { echo "\$ORIGIN bogus.test."; cat "$work/keys/signed.zone"; } >"$work/zones/bogus.test.zone"
    cp "$old.ds" "$work/keys/stale.ds"
) || die "cannot sign bogus.test with ldns-keygen and ldns-signzone"
NSD_ZONES_DIR=$work/zones "$root/Tests/Scripts/nsd-demo.sh" start "$work/nsd" "$nsd_port" >/dev/null

mkdir -p "$work/unbound"
served=(example.test. bogus.test. 113.0.203.in-addr.arpa. 64/26.113.0.203.in-addr.arpa. 8.b.d.0.1.0.0.2.ip6.arpa.)
down=(down.test. 100.51.198.in-addr.arpa.)
# A server that never answers: a UDP socket nobody reads from (the kernel queues the queries until it is full).
silent_port=5301
python3 -c 'import socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(3600)' "$silent_port" &
silent_pid=$!
{
    echo "server:"
    echo "    interface: 127.0.0.1"
    echo "    port: 53"
    echo "    num-threads: 1"
    echo "    username: \"\""
    echo "    chroot: \"\""
    echo "    directory: \"$work/unbound\""
    echo "    pidfile: \"$work/unbound/unbound.pid\""
    echo "    use-syslog: no"
    echo "    logfile: \"$work/unbound/unbound.log\""
    echo "    do-ip6: no"
    echo "    do-not-query-localhost: no"
    echo "    rrset-roundrobin: yes"
    # Gives up on the silent server within a second or two (the default, 120 s of backing off, has every
    # connection from its case wait for glibc's 5 s timeouts); an answer still comes back as SERVFAIL.
    echo "    infra-cache-max-rtt: 1000"
    echo "    module-config: \"validator iterator\""
    echo "    val-log-level: 2"
    echo "    log-queries: yes"
    # The DS matches no DNSKEY the zone serves: Unbound answers every query in it with SERVFAIL (the data only
    # with the CD bit).
    echo "    trust-anchor: \"$(tr -s '\t' ' ' <"$work/keys/stale.ds")\""
    echo "    local-zone: \".\" static"
    for zone in "${served[@]}" "${down[@]}" silent.test.; do echo "    local-zone: \"$zone\" transparent"; done
    echo "remote-control:"
    echo "    control-enable: no"
    for zone in "${served[@]}" "${down[@]}"; do
        printf 'stub-zone:\n    name: "%s"\n    stub-addr: 127.0.0.1@%s\n' "$zone" "$nsd_port"
    done
    printf 'stub-zone:\n    name: "silent.test."\n    stub-addr: 127.0.0.1@%s\n' "$silent_port"
} >"$work/unbound/unbound.conf"
unbound-checkconf "$work/unbound/unbound.conf" >/dev/null || die "unbound-checkconf: $work/unbound/unbound.conf"
unbound -d -c "$work/unbound/unbound.conf" &
unbound_pid=$!
for _ in $(seq 100); do
    drill -Q mail.example.test A @127.0.0.1 >/dev/null 2>&1 && break
    sleep 0.1
done
[[ $(drill -Q mail.example.test A @127.0.0.1 2>/dev/null) == 203.0.113.10 ]] \
    || die "Unbound does not resolve mail.example.test: $(cat "$work/unbound/unbound.log")"

# drill's status of NAME TYPE, and with the CD bit.
rcode() { drill "$@" @127.0.0.1 2>/dev/null | sed -n 's/.*rcode: \([A-Z]*\).*/\1/p'; }
bogus=$(rcode mail.bogus.test A) bogus_cd=$(rcode -o CD mail.bogus.test A)
down_status=$(rcode mail.down.test A) reverse_down=$(rcode -x 198.51.100.20) silent=$(rcode mail.silent.test A)
say "$(elapsed) s: Unbound: mail.bogus.test A $bogus, with CD $bogus_cd; mail.down.test A $down_status;" \
    "198.51.100.20 PTR $reverse_down; mail.silent.test A $silent"
[[ $bogus == SERVFAIL && $bogus_cd == NOERROR && $down_status == SERVFAIL && $reverse_down == SERVFAIL &&
    $silent == SERVFAIL ]] || die "the broken zones are not broken as the cases need"

# --- Postfix ---------------------------------------------------------------------------------------------------
mkdir -p "$pf" "$work/queue" "$work/data"
chown postfix: "$work/data"
: >"$pf/main.cf"
postconf -c "$pf" -e \
    "compatibility_level = 3.6" \
    "queue_directory = $work/queue" \
    "data_directory = $work/data" \
    "mail_owner = postfix" \
    "myhostname = mx.rcv.test" \
    "mydomain = rcv.test" \
    "mydestination = rcv.test" \
    "inet_interfaces = 203.0.113.1, [2001:db8::1]" \
    "inet_protocols = all" \
    "mynetworks =" \
    "local_recipient_maps =" \
    "alias_maps =" \
    "alias_database =" \
    "maillog_file = $work/maillog" \
    "maillog_file_prefixes = $work" \
    "smtpd_delay_reject = yes" \
    "smtpd_client_restrictions =" \
    "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination"
# Only the services an SMTP session up to RCPT needs, none chrooted; the four smtpd services of the header.
{
    printf '%-10s %-5s %-7s %-7s %-7s %-7s %-7s %s\n' \
        cleanup unix n - n - 0 cleanup \
        qmgr unix n - n 300 1 qmgr \
        pickup unix n - n 60 1 pickup \
        rewrite unix - - n - - trivial-rewrite \
        bounce unix - - n - 0 bounce \
        defer unix - - n - 0 bounce \
        trace unix - - n - 0 bounce \
        proxymap unix - - n - - proxymap \
        anvil unix - - n - 1 anvil \
        scache unix - - n - 1 scache \
        postlog unix-dgram n - n - 1 postlogd
    for service in 2501:client:450 2502:client:550 2503:reverse:450 2504:reverse:550; do
        IFS=: read -r port rule code <<<"$service"
        restriction=reject_unknown_client_hostname
        [[ $rule == client ]] || restriction=reject_unknown_reverse_client_hostname
        printf '%-10s inet  n       -       n       -       -       smtpd\n' "$port"
        printf '  -o syslog_name=postfix/%s%s\n  -o smtpd_client_restrictions=%s\n' "$rule" "$code" "$restriction"
        printf '  -o unknown_client_reject_code=%s\n' "$code"
    done
} >"$pf/master.cf"
postfix -c "$pf" check || die "postfix check failed for $pf"

# Starts Postfix and waits until all four services accept connections (at most 20 s).
postfix_start() {
    postfix -c "$pf" start >/dev/null 2>&1 || die "postfix start: $(tail -n 5 "$work/maillog" 2>/dev/null)"
    local port
    for port in 2501 2502 2503 2504; do
        for _ in $(seq 200); do
            (exec 3<>"/dev/tcp/203.0.113.1/$port") 2>/dev/null && continue 2
            sleep 0.1
        done
        die "Postfix does not listen on 203.0.113.1:$port"
    done
}

# --- the connections and rdnscheck's verdicts --------------------------------------------------------------------
observations=$work/observations.tsv
: >"$observations"
addresses=()
while read -r name address _; do
    [[ $name == \#* || -z $name ]] || addresses+=("$address")
done <"$here/cases.tsv"

for setting in search no-search; do
    if [[ $setting == search ]]; then
        printf 'nameserver 127.0.0.1\nsearch example.test\n' >"$resolv"
    else
        printf 'nameserver 127.0.0.1\n' >"$resolv"
    fi
    postfix_start
    say "$(elapsed) s: Postfix started, resolv.conf with $setting"
    plan=$work/plan-$setting
    : >"$plan"
    while read -r name address connections _; do
        [[ $name == \#* || -z $name ]] && continue
        server=203.0.113.1
        [[ $address != *:* ]] || server=2001:db8::1
        for service in 2501:client:450 2502:client:550 2503:reverse:450 2504:reverse:550; do
            IFS=: read -r port rule code <<<"$service"
            printf '%s %s %s %s %s\t%s\t%s\t%s\t%s\n' "$address" "$server" "$port" "$connections" \
                "$name" "$address" "$setting" "$rule" "$code" >>"$plan"
        done
    done <"$here/cases.tsv"
    python3 "$here/smtp_probe.py" <"$plan" >>"$observations" || die "Postfix did not answer every connection"
    postfix -c "$pf" stop >/dev/null 2>&1
    say "$(elapsed) s: connections done, Postfix stopped"
    # --nameserver: rdnscheck asks Unbound directly, so the search domain cannot change its verdicts.
    status=0
    "$bin" --once --format json --nameserver 127.0.0.1 "${addresses[@]}" >"$work/rdnscheck-$setting.json" || status=$?
    ((status <= 2)) || die "rdnscheck exited $status: $(cat "$work/rdnscheck-$setting.json")"
    say "$(elapsed) s: rdnscheck done"
done

status=0
python3 "$here/compare.py" "$here/cases.tsv" "$observations" "$work/maillog" \
    "$work/rdnscheck-search.json" "$work/rdnscheck-no-search.json" || status=$?
say "$(elapsed) s in the namespace"
exit "$status"
