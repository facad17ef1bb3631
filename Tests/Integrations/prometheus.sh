#!/usr/bin/env bash
# The Prometheus rules and the Grafana dashboard of contrib/ on the real stack (issue #12), for `make test`:
#
#   Tests/Integrations/prometheus.sh [RDNSCHECK_BINARY]     default .build/release/rdnscheck
#
# 1. promtool (Debian's prometheus package) checks contrib/prometheus/rdnscheck-rules.yml and runs its unit tests.
# 2. NSD serves Tests/Zones (Tests/Scripts/nsd-demo.sh); `rdnscheck --once` checks 192.0.2.10 (OK) and 192.0.2.11
#    (CRITICAL forward-mismatch) twice with a state file, whose PTR name for 192.0.2.11 is changed in between, so
#    the second run, which writes the textfile, sees a drift that leaves the status as it was (what changes() of
#    rdnscheck_address_status would miss). Debian's prometheus-node-exporter serves that directory with only the
#    textfile collector; Debian's prometheus scrapes it every second with the rules loaded, evaluated every second.
#    The rules are a copy with every `for:` set to 0s (the durations are the unit tests' business), so the test
#    waits (at most 60 s) until RDNSCheckAddressCritical, RDNSCheckDrift and RDNSCheckReceiverRejects (for the gmail,
#    postfix-client and spamassassin rules, which need a PTR name that forward-confirms) are firing for 192.0.2.11,
#    then checks that these are the only alerts: none for 192.0.2.10, none for the rule that accepts 192.0.2.11
#    (postfix-reverse), and RDNSCheckStale not firing.
# 3. Every panel's query of contrib/grafana/rdnscheck.json, its variables set to match all, must return data from
#    that Prometheus.
#
# Loopback only, free ports (Tests/Scripts/free-port.py), never 9090 or 9100; everything in a temporary directory,
# removed at the end with the processes this script started. Where prometheus or prometheus-node-exporter is not
# installed, the script takes the binaries from Debian's packages (`apt-get download`, unpacked into
# .build/debian-prometheus) instead of installing them, which would enable and start their services on the host.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$root/.build/release/rdnscheck}
rules=$root/contrib/prometheus/rdnscheck-rules.yml
dashboard=$root/contrib/grafana/rdnscheck.json
good=192.0.2.10
broken=192.0.2.11

say() { echo "prometheus.sh: $*"; }
die() {
    say "FAILED: $*" >&2
    exit 1
}

[[ -x $bin ]] || die "no rdnscheck binary at $bin (make release)"

# The Debian binary NAME (in /usr/bin, else unpacked from PACKAGE's .deb).
debian_binary() {
    local name=$1 package=$2 cache=$root/.build/debian-prometheus
    if [[ -x /usr/bin/$name ]]; then echo "/usr/bin/$name"; return; fi
    if [[ ! -x $cache/usr/bin/$name ]]; then
        mkdir -p "$cache/debs"
        (cd "$cache/debs" && apt-get download -q "$package" >&2) \
            || { apt-get update -qq >&2 && (cd "$cache/debs" && apt-get download -q "$package" >&2); } \
            || die "cannot download Debian's $package"
        local debs=("$cache/debs/${package}"_*.deb)
        dpkg-deb -x "${debs[-1]}" "$cache"
    fi
    echo "$cache/usr/bin/$name"
}
promtool=$(debian_binary promtool prometheus)
prometheus=$(debian_binary prometheus prometheus)
node_exporter=$(debian_binary prometheus-node-exporter prometheus-node-exporter)

say "1. promtool check rules, promtool test rules ($("$promtool" --version 2>&1 | head -n 1))"
"$promtool" check rules "$rules"
(cd "$(dirname "$rules")" && "$promtool" test rules rdnscheck-rules.test.yml)

work=$(mktemp -d /tmp/rdnscheck-prometheus.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$root/Tests/Scripts/nsd-demo.sh" stop "$work/nsd" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# A stopped `make test` (timeout or Ctrl-C) runs the cleanup too: nsd is a daemon outside the step's process group.
trap 'exit 143' TERM
trap 'exit 130' INT

free_port() { python3 "$root/Tests/Scripts/free-port.py"; }
dns_port=$(free_port)
"$root/Tests/Scripts/nsd-demo.sh" start "$work/nsd" "$dns_port"

say "2. rdnscheck --once writes the textfile for $good (OK) and $broken (CRITICAL, its PTR changed)"
mkdir -p "$work/textfile"
once() {
    local status=0
    "$bin" --once --quiet --nameserver "127.0.0.1:$dns_port" --state "$work/state.json" "$@" "$good" "$broken" \
        || status=$?
    ((status == 2)) || die "rdnscheck --once exited $status, not 2 (CRITICAL)"
}
once
# The name the state remembers for the broken address (and its forward answer's key) was another one.
sed -i 's/"mx\.example\.test"/"mx-old.example.test"/g' "$work/state.json"
once --textfile "$work/textfile/rdnscheck.prom"
for line in "rdnscheck_address_status{address=\"$broken\"} 2" "rdnscheck_drifted{address=\"$broken\"} 1" \
    "rdnscheck_receiver_accepts{address=\"$broken\",receiver=\"gmail\"} 0" \
    "rdnscheck_receiver_accepts{address=\"$good\",receiver=\"gmail\"} 1"; do
    grep -qxF "$line" "$work/textfile/rdnscheck.prom" \
        || die "the textfile has no line $line: $(cat "$work/textfile/rdnscheck.prom")"
done

# Started after the textfile is written, so every scrape sees it; each on its own free port.
node_port=$(free_port)
"$node_exporter" --web.listen-address="127.0.0.1:$node_port" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$work/textfile" >"$work/node-exporter.log" 2>&1 &
pids+=($!)

sed 's/^\( *\)for: .*/\1for: 0s/' "$rules" >"$work/rules.yml"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $work/rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$node_port"]
EOF
"$promtool" check config "$work/prometheus.yml" >/dev/null
prometheus_port=$(free_port)
api=http://127.0.0.1:$prometheus_port/api/v1
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

# The alerts as "ALERTNAME STATE address=ADDRESS[ receiver=RULE]" lines, or nothing while Prometheus is not up.
alerts() {
    local answer
    answer=$(curl -fsS --max-time 2 "$api/alerts" 2>/dev/null) || return 0
    python3 -c '
import json, sys
for alert in json.loads(sys.argv[1])["data"]["alerts"]:
    labels = alert["labels"]
    receiver = " receiver=" + labels["receiver"] if "receiver" in labels else ""
    print(labels["alertname"], alert["state"], "address=" + labels.get("address", "-") + receiver)
' "$answer"
}

expected="RDNSCheckAddressCritical firing address=$broken
RDNSCheckDrift firing address=$broken
RDNSCheckReceiverRejects firing address=$broken receiver=gmail
RDNSCheckReceiverRejects firing address=$broken receiver=postfix-client
RDNSCheckReceiverRejects firing address=$broken receiver=spamassassin"
started=$SECONDS
until [[ $(alerts | grep -c -xF "$expected") == 5 ]]; do
    if ((SECONDS - started >= 60)); then
        echo "--- alerts:"; alerts; echo "--- prometheus log:"; tail -n 20 "$work/prometheus.log"
        echo "--- node_exporter log:"; tail -n 20 "$work/node-exporter.log"
        die "RDNSCheckAddressCritical, RDNSCheckDrift and RDNSCheckReceiverRejects (gmail, postfix-client," \
            "spamassassin) did" \
            "not all fire for $broken within 60 s"
    fi
    sleep 1
done
say "RDNSCheckAddressCritical, RDNSCheckDrift and RDNSCheckReceiverRejects (gmail, postfix-client, spamassassin)" \
    "firing for" \
    "$broken after $((SECONDS - started)) s"
[[ $(alerts | sort) == "$expected" ]] || die "other alerts than those five: $(alerts)"
say "no other alert: none for $good nor for the rule that accepts $broken, RDNSCheckStale not firing"

say "3. every panel's query of $(basename "$dashboard") returns data"
# The panels' title and expr, one tab-separated line each; the dashboard's variables match everything. Grafana is
# not in Debian: what an import needs is checked here (schema, the data source as an input, unique panel ids).
python3 - "$dashboard" >"$work/queries" <<'EOF'
import json, sys
dashboard = json.load(open(sys.argv[1]))
source = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
assert dashboard["schemaVersion"] == 38, "schemaVersion"
assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"], "__inputs"
assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"]), "panel ids"
for item in dashboard["panels"] + [t for p in dashboard["panels"] for t in p["targets"]] \
        + dashboard["templating"]["list"]:
    assert item["datasource"] == source, "data source of " + json.dumps(item)[:80]
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        expr = target["expr"].replace("$instance", ".+").replace("$address", ".+")
        print(panel["title"] + "\t" + " ".join(expr.split()))
EOF
[[ -s $work/queries ]] || die "no panel queries found in $dashboard"
failed=0
while IFS=$'\t' read -r title expr; do
    count=$(curl -fsS --max-time 5 --get --data-urlencode "query=$expr" "$api/query" \
        | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))') || count=error
    if [[ $count =~ ^[1-9][0-9]*$ ]]; then
        say "  \"$title\": $count series: $expr"
    else
        say "  \"$title\": NO DATA ($count): $expr" >&2
        failed=1
    fi
done <"$work/queries"
((failed == 0)) || die "a dashboard query returned no data"
say "OK"
