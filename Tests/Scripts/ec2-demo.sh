#!/usr/bin/env bash
# The EC2 part of `make demo`, offline: an instance's addresses from the metadata-service stand-in
# (Tests/Stubs/imds-stub.py), AWS's record of their PTRs from the EC2 API stand-in (Tests/Stubs/ec2-api-stub.py)
# through the real `aws` command (Debian's awscli, with the instance role's credentials from the stand-in, as on
# EC2), and live DNS from the demo NSD.
#
#   ec2-demo.sh DIR NSD-PORT RDNSCHECK [ARGS...]   start both stand-ins, write DIR/rdnscheck.conf and
#                                                   DIR/aws (the wrapper that points `aws` at the EC2 stand-in),
#                                                   run RDNSCHECK --once -c DIR/rdnscheck.conf ARGS..., stop them
#
# Scenarios: Tests/Stubs/scenarios/instance.json and elastic-ips.json (the zones are in Tests/Zones). Exits with
# rdnscheck's exit status.
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 DIR NSD-PORT RDNSCHECK [ARGS...]" >&2; exit 64; }
dir=$1 nsd_port=$2 rdnscheck=$3
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
aws=${AWS:-/usr/bin/aws}
[[ -x $aws ]] || { echo "ec2-demo: $aws is missing: run \`apt-get install awscli\`" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -f "$dir/imds.port" "$dir/ec2.port" "$dir/state.json"

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop EXIT

python3 "$here/Stubs/imds-stub.py" "$here/Stubs/scenarios/instance.json" >"$dir/imds.port" 2>"$dir/imds.log" &
pids+=($!)
python3 "$here/Stubs/ec2-api-stub.py" "$here/Stubs/scenarios/elastic-ips.json" --port-file "$dir/ec2.port" \
    >/dev/null 2>"$dir/ec2.log" &
pids+=($!)
for _ in $(seq 100); do
    [[ -s $dir/imds.port && -s $dir/ec2.port ]] && break
    sleep 0.1
done
imds_port=$(head -n 1 "$dir/imds.port")
ec2_port=$(cat "$dir/ec2.port")
[[ $imds_port =~ ^[0-9]+$ && $ec2_port =~ ^[0-9]+$ ]] || { echo "ec2-demo: the stand-ins did not start" >&2; exit 1; }

# On EC2 `aws` needs nothing of this: the wrapper only sends its requests to the stand-in instead of AWS.
printf '#!/bin/sh\nexec %s --endpoint-url http://127.0.0.1:%s "$@"\n' "$aws" "$ec2_port" >"$dir/aws"
chmod 755 "$dir/aws"
cat >"$dir/rdnscheck.conf" <<CONF
# What an EC2 mail relay's configuration looks like (the demo adds --nameserver for its NSD).
discover ec2
aws-ptr on
aws-command $dir/aws
timeout 2s
CONF

echo "\$ AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$imds_port/ rdnscheck --once -c $dir/rdnscheck.conf $*" >&2
status=0
# A clean environment: the caller's AWS_PROFILE, AWS_REGION or keys must not steer the demo (or reach the stand-in).
env -i PATH="$PATH" LANG="${LANG:-C.UTF-8}" HOME="$dir" AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$imds_port/" \
    "$rdnscheck" --once -c "$dir/rdnscheck.conf" --nameserver "127.0.0.1:$nsd_port" "$@" || status=$?
exit "$status"
