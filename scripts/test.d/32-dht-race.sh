#!/usr/bin/env bash
# The DHT race, small: `meshbench dht-net` with 5 `meshpeer dht serve` processes against 5 processes of bmuller's
# Python `kademlia` on loopback, 20 lookups. Checks the JSON's shape and that both sides find what they published
# (success > 0.9 each); the figures themselves are quoted from a larger run in the README, not checked here.
# meshbench makes the Python virtualenv itself (.build/dht-race-venv: python3 -m venv, pip install kademlia).
# Every process it starts exits when meshbench closes its stdin; `timeout` bounds the whole run.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_packages python3 python3-venv

swift build --product meshpeer >/dev/null
swift build --product meshbench >/dev/null
BIN="$(swift build --show-bin-path)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

log "meshbench dht-net --nodes 5 --lookups 20"
timeout -k 10 150 "$BIN/meshbench" dht-net --nodes 5 --lookups 20 --timeout 10 >"$out" \
    || { cat "$out" >&2; die "meshbench dht-net failed"; }
tail -n 1 "$out" >&2

python3 - "$out" <<'PY'
import json, sys
report = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
fields = ["success", "get_ms_p50", "get_ms_p99", "publish_ms_p50", "publish_ms_p99", "rss_mb_per_node"]
problems = []
for key in ["nodes", "lookups", "values", "theirs_version", "ratio_direction"]:
    if key not in report:
        problems.append(f"missing {key}")
if (report.get("nodes"), report.get("lookups"), report.get("values")) != (5, 20, 5):
    problems.append("nodes/lookups/values are not 5/20/5")
for side in ["ours", "theirs"]:
    for field in fields:
        value = report.get(side, {}).get(field)
        if not isinstance(value, (int, float)) or value < 0:
            problems.append(f"{side}.{field} is {value!r}")
    if report.get(side, {}).get("success", 0) <= 0.9:
        problems.append(f"{side} success {report[side].get('success')} <= 0.9 (errors: {report[side].get('errors')})")
    if not 1 <= report.get(side, {}).get("rss_mb_per_node", 0) <= 500:
        problems.append(f"{side} rss_mb_per_node is implausible")
for field in ["success"] + fields[1:]:
    if not isinstance(report.get("ratio_" + field), (int, float)):
        problems.append(f"missing ratio_{field}")
if not str(report.get("theirs_version", "")).startswith("kademlia "):
    problems.append("theirs_version does not name the kademlia version")
if problems:
    sys.exit("dht-net report: " + "; ".join(problems))
PY
log "dht-net: JSON shape right, both sides above 0.9 success"
