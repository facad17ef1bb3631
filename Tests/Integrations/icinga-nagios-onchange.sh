#!/usr/bin/env bash
# The contrib files for Icinga 2, Nagios and on-change, each with the real program (`make test`'s
# icinga-nagios-onchange step; about 30 s once the packages are installed).
#
#   Tests/Integrations/icinga-nagios-onchange.sh RDNSCHECK_BINARY
#
# Installs what is missing from Debian's packages (icinga2-bin, nagios4-core, msmtp-mta, shellcheck, jq, curl,
# nsd; no recommends, so no MTA daemon and no web server) and stops any service they started. Everything else stays
# in a temporary directory and on 127.0.0.1: a private Icinga and Nagios configuration (never /etc/icinga2 or
# /etc/nagios4), two NSDs on free ports (Tests/Zones, and a zone of hostile PTR names), and the sinks of
# sinks.py. Then:
#   1. shellcheck passes the on-change recipes (and this script);
#   2. Icinga 2: `icinga2 daemon -C` validates contrib/icinga2/rdnscheck.conf with the ITL and a host the example
#      `apply Service` matches; then `icinga2 daemon` runs the CheckCommand for real, on a service with one
#      failing address and one with a good one, against NSD: the command line it logs, and the exit status and
#      output it records, are what the command must build and rdnscheck must print;
#   3. Nagios: `nagios4 -v` validates contrib/nagios/rdnscheck.cfg, then `nagios4` runs its check_rdnscheck
#      (the binary path replaced by the one under test) and status.dat holds rdnscheck's state and output;
#   4. on-change: rdnscheck itself runs each recipe as its on-change program on a drift to hostile PTR names (CR,
#      LF, quotes, backslashes, $(...), <!channel>, non-ASCII, and enough names for a 32 KiB value), then each
#      recipe runs again with raw hostile values set as rdnscheck would set them (which rdnscheck never sends:
#      its names are escaped) to prove the recipes' own guard. The mail goes through the real sendmail (msmtp as
#      Debian's msmtp-mta installs it) to an SMTP sink, the webhook through the real curl to an HTTP sink; one
#      mail and one JSON document each, checked by check_deliveries.py against the environment they got. A
#      webhook that answers 500 and settings that are wrong make the recipes fail with a message.
# Each check prints one line; the script exits 1 when any failed.
set -uo pipefail

bin=${1:?usage: icinga-nagios-onchange.sh RDNSCHECK_BINARY}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/Tests/Integrations
started=$(date +%s)
passed=0
failed=0

pass() {
    echo "PASS $*"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL $*"
    failed=$((failed + 1))
}
check() { # check DESCRIPTION COMMAND...
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

# --- packages ---------------------------------------------------------------------------------------------------
need=()
[[ -x /usr/sbin/icinga2 ]] || need+=(icinga2-bin icinga2-common)
[[ -x /usr/sbin/nagios4 ]] || need+=(nagios4-core)
# msmtp-mta is the MTA nagios4-common's bsd-mailx asks for (else apt would bring exim4 and start it); a host that
# has an MTA (its own sendmail) gets only msmtp, run by its own name below.
if [[ ! -e /usr/sbin/sendmail ]]; then
    need+=(msmtp msmtp-mta)
elif [[ ! -x /usr/bin/msmtp ]]; then
    need+=(msmtp)
fi
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
[[ -x /usr/sbin/nsd ]] || need+=(nsd)
if ((${#need[@]} > 0)); then
    echo "installing ${need[*]} (Debian packages)"
    if ! apt-get update -qq -o DPkg::Lock::Timeout=300 ||
        ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null; then
        echo "FAIL installing ${need[*]}"
        exit 1
    fi
fi
# The packages' services stay off: this test runs its own daemons, privately.
for service in icinga2 nagios4 msmtpd; do
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now "$service" >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/$service ]] && /etc/init.d/"$service" status >/dev/null 2>&1; then
        /etc/init.d/"$service" stop >/dev/null 2>&1 || true
    fi
done

# --- the temporary tree, the NSDs and the sinks -------------------------------------------------------------------
tmp=$(mktemp -d /tmp/rdnscheck-integrations.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    "$root/Tests/Scripts/nsd-demo.sh" stop "$tmp/nsd-good" >/dev/null 2>&1
    "$root/Tests/Scripts/nsd-demo.sh" stop "$tmp/nsd-hostile" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 "$root/Tests/Scripts/free-port.py"; }
good_port=$(free_port)
"$root/Tests/Scripts/nsd-demo.sh" start "$tmp/nsd-good" "$good_port" >/dev/null || exit 1

# The hostile zone: 192.0.2.10 has PTR names with CR, LF, quotes, a backslash, $(...), <!channel>, UTF-8 and
# 0xff bytes, and 40 names of 254 bytes of such bytes only, each escaped to about 1,000 characters, so
# RDNSCHECK_PTR_NAMES (the first 32 names) ends in `+N` and RDNSCHECK_CHANGES (where JSON doubles each backslash)
# goes over its 32 KiB limit and leaves a field out.
mkdir -p "$tmp/zones-hostile"
cp "$root/Tests/Zones/example.test.zone" "$tmp/zones-hostile/"
label=$(printf '%.0s\\013\\010\\034\\092' $(seq 15))'\255\000\127'
{
    cat <<'ZONE'
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@ SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300
@ NS ns.example.test.
10 PTR evil\013\010Bcc:\032victim\064example.net\013\010X.example.test.
10 PTR q\034uote\039s\092back\036\040touch\032pwned\041.example.test.
10 PTR \060\033channel\062\038amp.example.test.
10 PTR caf\195\169\255.example.test.
ZONE
    for i in $(seq 10 49); do printf '10 PTR h%s%s.%s.%s.%s.\n' "$i" "${label:12}" "$label" "$label" "${label:12}"; done
} >"$tmp/zones-hostile/2.0.192.in-addr.arpa.zone"
hostile_port=$(free_port)
NSD_ZONES_DIR=$tmp/zones-hostile "$root/Tests/Scripts/nsd-demo.sh" start "$tmp/nsd-hostile" "$hostile_port" \
    >/dev/null || exit 1

start_sink() { # start_sink KIND: prints the port
    python3 "$here/sinks.py" "$1" "$tmp/sink-$1" "$tmp/sink-$1.port" >"$tmp/sink-$1.log" 2>&1 &
    pids+=($!)
    local _
    for _ in $(seq 100); do
        [[ -s $tmp/sink-$1.port ]] && break
        sleep 0.1
    done
}
start_sink smtp
start_sink http
smtp_port=$(cat "$tmp/sink-smtp.port")
http_port=$(cat "$tmp/sink-http.port")

# --- 1. shellcheck ----------------------------------------------------------------------------------------------
check "shellcheck: contrib/on-change/rdnscheck-mail, rdnscheck-webhook and this script" \
    shellcheck "$root/contrib/on-change/rdnscheck-mail" "$root/contrib/on-change/rdnscheck-webhook" "${BASH_SOURCE[0]}"

# --- 2. Icinga 2 ------------------------------------------------------------------------------------------------
icinga=$tmp/icinga2
mkdir -p "$icinga"/{cache,var,log,run,spool}
icinga_defines=(-DCacheDir="$icinga/cache" -DDataDir="$icinga/var" -DLogDir="$icinga/log" -DInitRunDir="$icinga/run"
    -DSpoolDir="$icinga/spool" -DConfigDir="$icinga" -DZonesDir="$icinga/zones.d" -DPidPath="$icinga/run/icinga2.pid"
    -DObjectsPath="$icinga/cache/icinga2.debug" -DVarsPath="$icinga/cache/icinga2.vars"
    -DStatePath="$icinga/var/icinga2.state" -DModAttrPath="$icinga/var/modified-attributes.conf")
cat >"$icinga/icinga2.conf" <<EOF
include <itl>
include "$root/contrib/icinga2/rdnscheck.conf"

object Host "mail-relay" {
    check_command = "dummy"
    vars.rdnscheck_binary = "$bin"
    vars.rdnscheck_addresses = [ "192.0.2.10=mail.example.test", "192.0.2.11" ]
    vars.rdnscheck_nameservers = [ "127.0.0.1:$good_port" ]
    vars.rdnscheck_timeout = "3s"
}
EOF
# Icinga runs as root here (ICINGA2_USER) so that it reads this tree; the package's nagios user could not.
export ICINGA2_USER=root ICINGA2_GROUP=root
icinga2 daemon -C -c "$icinga/icinga2.conf" "${icinga_defines[@]}" >"$icinga/validate.log" 2>&1
status=$?
check "icinga2 daemon -C validates the CheckCommand and the apply Service (exit $status)" \
    grep -q 'Instantiated 1 Service' "$icinga/validate.log"
((status == 0)) || sed 's/^/  | /' "$icinga/validate.log"

# The example's 15-minute interval would not run within the test: services of the same command every 2 s, on a
# broken and a good address, and on the addresses of a configuration file.
cat >>"$icinga/icinga2.conf" <<EOF
object CheckerComponent "checker" { }
object Service "rdnscheck-broken" {
    host_name = "mail-relay"
    check_command = "rdnscheck"
    check_interval = 2s
}
object Service "rdnscheck-good" {
    host_name = "mail-relay"
    check_command = "rdnscheck"
    check_interval = 2s
    vars.rdnscheck_addresses = [ "192.0.2.10" ]
    vars.rdnscheck_engine = "pipelined"
}
object Service "rdnscheck-config" {
    host_name = "mail-relay"
    check_command = "rdnscheck"
    check_interval = 2s
    vars.rdnscheck_addresses = [ ]
    vars.rdnscheck_config = "$icinga/rdnscheck.conf"
}
EOF
printf 'check 192.0.2.15\n' >"$icinga/rdnscheck.conf"
icinga2 daemon -c "$icinga/icinga2.conf" "${icinga_defines[@]}" -x notice >"$icinga/daemon.log" 2>&1 &
icinga_pid=$!
for _ in $(seq 600); do
    (($(grep -c "^.*notice/Process: PID [0-9]* ('$bin'.*terminated with exit code" "$icinga/daemon.log") >= 3)) &&
        break
    sleep 0.1
done
kill -TERM "$icinga_pid"
wait "$icinga_pid"
# Icinga writes its state file (each object's last check result) when it stops.
python3 - "$icinga/var/icinga2.state" "$bin" "$good_port" "$icinga/rdnscheck.conf" >"$icinga/results.log" 2>&1 <<'EOF'
import json, sys
path, binary, port, configuration = sys.argv[1:5]
results = {}
with open(path) as file:
    text = file.read()
while text:
    length, _, rest = text.partition(":")
    record, text = json.loads(rest[:int(length)]), rest[int(length) + 1:]
    update = record.get("update", {})
    if record.get("type") == "Service" and update.get("last_check_result"):
        results[record["name"]] = update["last_check_result"]
# Icinga sorts the arguments by their order, then their key; it keeps the performance data apart from the output.
common = [binary, "--once", "--format", "nagios"]
server = ["--nameserver", f"127.0.0.1:{port}", "--timeout", "3s"]
wanted = {
    "mail-relay!rdnscheck-broken": (common + server + ["--", "192.0.2.10=mail.example.test", "192.0.2.11"], 2,
        ["RDNS CRITICAL - 2 addresses: 1 ok, 0 warning, 1 critical, 0 unknown",
         "CRITICAL 192.0.2.11: forward-mismatch: PTR mx.example.test resolves to 198.51.100.9, not 192.0.2.11; "
         "receivers: gmail reject, postfix-client reject"],
        ["ok=1;;;0;2", "warning=0;;;0;2", "critical=1;;;0;2", "unknown=0;;;0;2"]),
    "mail-relay!rdnscheck-good": (common + ["--engine", "pipelined"] + server + ["--", "192.0.2.10"], 0,
        ["RDNS OK - 1 address: 1 ok, 0 warning, 0 critical, 0 unknown"],
        ["ok=1;;;0;1", "warning=0;;;0;1", "critical=0;;;0;1", "unknown=0;;;0;1"]),
    "mail-relay!rdnscheck-config": (common + ["-c", configuration] + server, 1,
        ["RDNS WARNING - 1 address: 0 ok, 1 warning, 0 critical, 0 unknown",
         "WARNING 192.0.2.15: multiple-ptr: 2 PTR names (a15.example.test, b15.example.test); receivers use one"],
        ["ok=0;;;0;1", "warning=1;;;0;1", "critical=0;;;0;1", "unknown=0;;;0;1"]),
}
bad = 0
for name, (command, exit_status, lines, performance) in wanted.items():
    result = results.get(name)
    if result is None:
        print(f"{name}: no check result"); bad = 1; continue
    output = [line.rstrip() for line in result["output"].split("\n")]
    ok = (result["command"] == command and result["exit_status"] == exit_status and output == lines
          and result["performance_data"][:4] == performance)
    print(f"{name}: {'ok' if ok else 'WRONG'}: exit {result['exit_status']}, command {result['command']}, "
          f"output {output}, performance data {result['performance_data']}")
    bad |= not ok
sys.exit(bad)
EOF
status=$?
check "icinga2 daemon runs the CheckCommand against NSD: the command lines, exit 2/0/1 and rdnscheck's output" \
    test "$status" = 0
sed 's/^/  | /' "$icinga/results.log"

# --- 3. Nagios --------------------------------------------------------------------------------------------------
nagios=$tmp/nagios
mkdir -p "$nagios/checkresults"
nagios_main() { # nagios_main OBJECTFILE: the private nagios.cfg
    cat <<EOF
cfg_file=$nagios/objects.cfg
cfg_file=$1
log_file=$nagios/nagios.log
status_file=$nagios/status.dat
temp_file=$nagios/nagios.tmp
temp_path=$nagios
lock_file=$nagios/nagios.lock
check_result_path=$nagios/checkresults
object_cache_file=$nagios/objects.cache
precached_object_file=$nagios/objects.precache
state_retention_file=$nagios/retention.dat
retain_state_information=0
check_external_commands=0
nagios_user=$(id -un)
nagios_group=$(id -gn)
illegal_macro_output_chars=\`~\$&|'"<>
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
status_update_interval=1
check_result_reaper_frequency=1
EOF
}
# What the contrib file needs and leaves to the site: a time period, a contact group `admins`, a host in the
# hostgroup `rdnscheck` with its addresses.
cat >"$nagios/objects.cfg" <<EOF
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}
define command {
    command_name    notify-nobody
    command_line    /bin/true
}
define contact {
    contact_name                  nobody
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    notify-nobody
    service_notification_commands notify-nobody
}
define contactgroup {
    contactgroup_name admins
    members           nobody
}
define host {
    host_name             mail-relay
    address               127.0.0.1
    hostgroups            rdnscheck
    max_check_attempts    1
    check_period          24x7
    contact_groups        admins
    notification_interval 0
    notification_period   24x7
    _RDNSCHECK_ADDRESSES  192.0.2.10=mail.example.test 192.0.2.11
}
EOF
nagios_main "$root/contrib/nagios/rdnscheck.cfg" >"$nagios/validate.cfg"
nagios4 -v "$nagios/validate.cfg" >"$nagios/validate.log" 2>&1
status=$?
check "nagios4 -v validates contrib/nagios/rdnscheck.cfg (exit $status)" \
    grep -q 'Total Errors: *0' "$nagios/validate.log"
((status == 0)) || sed 's/^/  | /' "$nagios/validate.log"

# The same file with the binary under test and the options for this NSD as $ARG1$.
sed -e "s|/usr/bin/rdnscheck|$bin|" \
    -e "s|\(check_command *check_rdnscheck\)\$|\1!--nameserver 127.0.0.1:$good_port --timeout 3s|" \
    "$root/contrib/nagios/rdnscheck.cfg" >"$nagios/rdnscheck.cfg"
nagios_main "$nagios/rdnscheck.cfg" >"$nagios/nagios.cfg"
nagios4 "$nagios/nagios.cfg" >"$nagios/daemon.log" 2>&1 &
nagios_pid=$!
service_status() { awk '/^servicestatus/,/^\t}/' "$nagios/status.dat" 2>/dev/null; }
for _ in $(seq 600); do
    service_status | grep -q 'has_been_checked=1' && break
    sleep 0.1
done
service_status | grep -E '^\s+(current_state|plugin_output|long_plugin_output|performance_data)=' \
    >"$nagios/results.log"
kill -TERM "$nagios_pid"
wait "$nagios_pid"
if ! grep -q "command_line *$bin --once" "$nagios/rdnscheck.cfg" ||
    ! grep -q "check_command *check_rdnscheck!--nameserver" "$nagios/rdnscheck.cfg"; then
    fail "the sed of the Nagios command did not apply"
fi
# Every line must be there (grep -f alone passes when any one of them is).
nagios_lines() {
    local line
    while IFS= read -r line; do grep -q -F -x -e "$line" "$nagios/results.log" || return 1; done
}
check "nagios4 runs check_rdnscheck against NSD: state 2 and rdnscheck's output in status.dat" nagios_lines <<EOF
	current_state=2
	plugin_output=RDNS CRITICAL - 2 addresses: 1 ok, 0 warning, 1 critical, 0 unknown
	long_plugin_output=CRITICAL 192.0.2.11: forward-mismatch: PTR mx.example.test resolves to 198.51.100.9, not 192.0.2.11; receivers: gmail reject, postfix-client reject
EOF
sed 's/^/  | /' "$nagios/results.log"

# --- 4. on-change -----------------------------------------------------------------------------------------------
onchange=$tmp/on-change
mkdir -p "$onchange"
cat >"$onchange/msmtprc" <<EOF
account default
host 127.0.0.1
port $smtp_port
from rdnscheck@relay.example.test
auth off
tls off
EOF
chmod 600 "$onchange/msmtprc"
# The real sendmail: Debian's msmtp-mta makes /usr/sbin/sendmail msmtp; beside another MTA, msmtp by its name.
sendmail=/usr/sbin/sendmail
[[ $(readlink -f /usr/sbin/sendmail) == */msmtp ]] || sendmail=/usr/bin/msmtp
cat >"$onchange/mail.conf" <<EOF
# rdnscheck-mail's settings for the test: msmtp as sendmail, to the SMTP sink.
mail-to postmaster@example.test ops+dns@example.test
mail-from rdnscheck@relay.example.test
sendmail $sendmail -C $onchange/msmtprc
EOF
for style in slack teams; do
    printf 'webhook-url http://127.0.0.1:%s/hook\nwebhook-style %s\n' "$http_port" "$style" >"$onchange/$style.conf"
done
# A wrapper per recipe and settings file, as an operator would write one (on-change takes no arguments): it keeps
# the environment rdnscheck gave, for check_deliveries.py, then runs the recipe.
wrapper() { # wrapper NAME RECIPE SETTINGS
    printf '#!/bin/sh\nenv -0 >%s/%s.env\nexec %s %s\n' "$onchange" "$1" "$2" "$3" >"$onchange/$1"
    chmod 755 "$onchange/$1"
}
wrapper mail "$root/contrib/on-change/rdnscheck-mail" "$onchange/mail.conf"
wrapper slack "$root/contrib/on-change/rdnscheck-webhook" "$onchange/slack.conf"
wrapper teams "$root/contrib/on-change/rdnscheck-webhook" "$onchange/teams.conf"

# verify RECIPE DIR: what the sinks got from RECIPE (in DIR) against the environment it had (DIR/RECIPE.env).
verify() {
    if [[ $1 == mail ]]; then
        python3 "$here/check_deliveries.py" mail "$2" "$2/mail.env" rdnscheck@relay.example.test \
            postmaster@example.test ops+dns@example.test
    else
        python3 "$here/check_deliveries.py" webhook "$2" "$2/$1.env" "$1"
    fi
}

# collect SCENARIO KIND: moves what the sinks received and the recorded environment to SCENARIO's directory.
collect() {
    mkdir -p "$onchange/$1"
    mv "$tmp/sink-$2"/* "$onchange/$1/" 2>/dev/null
    return 0
}

# The baseline: 192.0.2.10 OK on Tests/Zones; then the drift to the hostile zone runs each recipe once.
"$bin" --once --quiet --state "$onchange/baseline.json" --nameserver "127.0.0.1:$good_port" 192.0.2.10 ||
    fail "the baseline run of rdnscheck (exit $?)"
for recipe in mail slack teams; do
    cp "$onchange/baseline.json" "$onchange/$recipe.json"
    printf 'check 192.0.2.10\non-change %s\n' "$onchange/$recipe" >"$onchange/$recipe-rdnscheck.conf"
    "$bin" --once -c "$onchange/$recipe-rdnscheck.conf" --state "$onchange/$recipe.json" \
        --nameserver "127.0.0.1:$hostile_port" >"$onchange/$recipe-run.log" 2>&1
    status=$?
    kind=http
    [[ $recipe == mail ]] && kind=smtp
    collect "rdnscheck-$recipe" "$kind"
    [[ -f $onchange/$recipe.env ]] && mv "$onchange/$recipe.env" "$onchange/rdnscheck-$recipe/"
    # What rdnscheck set: its escaped names, the list cut with +N, the changes cut at 32 KiB.
    environment=$onchange/rdnscheck-$recipe/$recipe.env
    if ((status == 2)) && grep -a -q 'evil\\013\\010bcc\\058\\032victim\\064example\.net' "$environment" &&
        grep -a -z -q '^RDNSCHECK_PTR_NAMES=.* +[0-9]*$' "$environment" &&
        grep -a -z -q '^RDNSCHECK_CHANGES_OMITTED=.' "$environment"; then
        check "on-change $recipe through rdnscheck: hostile PTR names delivered intact and escaped" \
            verify "$recipe" "$onchange/rdnscheck-$recipe"
    else
        fail "on-change $recipe through rdnscheck: exit $status (not 2), or not the hostile PTR names; the log:"
        cut -c 1-200 "$onchange/$recipe-run.log" | head -n 5 | sed 's/^/  | /'
    fi
done

# The recipes' own guard: raw values rdnscheck never sends (its names are escaped, its values at most 32 KiB),
# set the way it sets them (env -i: PATH and RDNSCHECK_* only): CR/LF to add headers or end the SMTP DATA,
# quotes to leave a JSON string, $(...) and backquotes, control and non-ASCII bytes, 32 KiB values.
bytes=$'\xc3\xa9\xff\x01\x1b[31m'
big=$(for i in $(seq 1 3000); do printf 'n%d.example.test\r\n.\r\nQUIT\r\n' "$i"; done | head -c 32768)
hostile=(
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    RDNSCHECK_ADDRESS=$'192.0.2.10\r\nBcc: victim@example.net'
    RDNSCHECK_OLD_STATUS=$'ok\nX-Injected: yes'
    RDNSCHECK_NEW_STATUS='critical"}, "injected": {"x": "'
    RDNSCHECK_PROBLEMS="forward-mismatch \$(touch $tmp/pwned) \`touch $tmp/pwned\` ' \" \\ <!channel> &amp;$bytes"
    "RDNSCHECK_PTR_NAMES=$big"
    RDNSCHECK_CHANGES=$'[{"field": "status", "old": "ok", "new": "critical"}]\r\n.\r\nMAIL FROM:<x@evil.example>'
    RDNSCHECK_CHANGES_OMITTED=ptr_names
    RDNSCHECK_DRIFTS=1
)
for recipe in mail slack teams; do
    env -i "${hostile[@]}" "$onchange/$recipe" >"$onchange/$recipe-direct.log" 2>&1
    status=$?
    kind=http
    [[ $recipe == mail ]] && kind=smtp
    collect "direct-$recipe" "$kind"
    mv "$onchange/$recipe.env" "$onchange/direct-$recipe/" 2>/dev/null
    if ((status == 0)); then
        check "on-change $recipe with raw hostile values: one well-formed delivery, no injected header or field" \
            verify "$recipe" "$onchange/direct-$recipe"
    else
        fail "on-change $recipe with raw hostile values: exit $status; its output:"
        cut -c 1-200 "$onchange/$recipe-direct.log" | head -n 5 | sed 's/^/  | /'
    fi
done
check "no hostile value ran a command (no $tmp/pwned)" test ! -e "$tmp/pwned"

# Failures are exit statuses with a message (rdnscheck logs both): the webhook answering 500, bad settings.
fails_with() { # fails_with MESSAGE RECIPE SETTINGS: the recipe exits 1 and says MESSAGE
    local output
    output=$(env -i "${hostile[@]:0:2}" RDNSCHECK_OLD_STATUS=ok RDNSCHECK_NEW_STATUS=critical "$2" "$3" 2>&1)
    [[ $? == 1 && $output == *"$1"* ]] || {
        echo "  | exit status other than 1, or not '$1': $output"
        return 1
    }
}
printf 'webhook-url http://127.0.0.1:%s/fail\n' "$http_port" >"$onchange/fail.conf"
check "rdnscheck-webhook exits 1 when the webhook answers 500" \
    fails_with "curl failed" "$root/contrib/on-change/rdnscheck-webhook" "$onchange/fail.conf"
printf 'webhook-url http://127.0.0.1:%s/x"y\n' "$http_port" >"$onchange/quote.conf"
check "rdnscheck-webhook refuses a URL with a quote" \
    fails_with "space, quote, backslash or control byte" "$root/contrib/on-change/rdnscheck-webhook" \
    "$onchange/quote.conf"
printf 'mail-from rdnscheck@example.test\n' >"$onchange/no-to.conf"
check "rdnscheck-mail refuses settings without mail-to" \
    fails_with "no mail-to" "$root/contrib/on-change/rdnscheck-mail" "$onchange/no-to.conf"
printf 'mail-to ops@example.test\r\n' >"$onchange/cr.conf"
check "rdnscheck-mail refuses a settings line with a CR" \
    fails_with "not printable ASCII" "$root/contrib/on-change/rdnscheck-mail" "$onchange/cr.conf"
check "rdnscheck-mail without its settings file says so" \
    fails_with "cannot read the settings file" "$root/contrib/on-change/rdnscheck-mail" "$onchange/missing.conf"

echo "icinga-nagios-onchange: $passed passed, $failed failed in $(($(date +%s) - started)) s"
((failed == 0))
