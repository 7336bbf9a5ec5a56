#!/usr/bin/env bash
# The DHT race, small: `meshbench dht-net` with 5 `meshpeer dht serve` processes against 5 processes of bmuller's
# Python `kademlia` on loopback, 20 lookups. Checks the JSON's shape and that both sides find what they published
# (success > 0.9 each); the figures themselves are quoted from a larger run in the README, not checked here.
# meshbench makes the Python virtualenv itself (.build/dht-race-venv: python3 -m venv, pip install kademlia).
# Every process it starts exits when meshbench closes its stdin; `timeout` bounds the whole run.
# First, `meshpeer dht serve --stdin-commands` alone: bad commands get an error with their id, a line over 16 KiB is
# refused without losing the next one, and end of stdin stops the node.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_packages python3 python3-venv

build_products meshpeer meshbench
BIN="$(swift build --show-bin-path)"
out="$(mktemp)"

log "dht serve --stdin-commands refuses bad commands, bounds a line, and stops at end of stdin"
home="$(mktemp -d)"
node_pid=
cleanup() {
    [ -z "$node_pid" ] || kill -9 "$node_pid" 2>/dev/null || true
    rm -f "$out"
    rm -rf "$home"
}
trap cleanup EXIT
mkfifo "$home/in"
"$BIN/meshpeer" dht serve --ephemeral --stdin-commands --json --listen 127.0.0.1:0 --home "$home" \
    --store "$home/dht.sqlite" <"$home/in" >"$home/out" 2>"$home/err" &
node_pid=$!
exec 9>"$home/in"
send() { printf '%s\n' "$1" >&9; }
wait_for "$home/out" '"event":"listening"' 30
send '{"id":1,"op":"nope"}'
wait_for "$home/out" '"id":1,"message":"unknown op' 10
send '{"id":2,"op":"put","seed":"00","card":"{}"}'
wait_for "$home/out" '"id":2,"message":"put needs' 10
send '{"id":3,"op":"get","did":"did:key:nonsense"}'
wait_for "$home/out" '"id":3,"message":"get needs' 10
head -c 20000 /dev/zero | tr '\0' 'x' >&9
send ''
send '{"id":4,"op":"stats"}'
wait_for "$home/out" '"message":"command line over 16384 bytes"' 10
wait_for "$home/out" '"contacts":0,"event":"stats","id":4' 10
exec 9>&-
for _ in $(seq 1 100); do # bounded: 10 s
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$node_pid" 2>/dev/null && die "dht serve --stdin-commands did not stop at end of stdin"
node_pid=

log "dht serve refuses a value-lookup quorum outside 0...1"
if "$BIN/meshpeer" dht serve --ephemeral --listen 127.0.0.1:0 --home "$home" --value-lookup-quorum 1.5 \
    >/dev/null 2>"$home/quorum-err"; then
    die "dht serve --value-lookup-quorum 1.5 started"
fi
grep -q "value-lookup-quorum" "$home/quorum-err" || { cat "$home/quorum-err" >&2; die "the refusal names no option"; }

log "dht serve refuses a lookup parallelism outside 1...k"
for alpha in 0 21; do
    if "$BIN/meshpeer" dht serve --ephemeral --listen 127.0.0.1:0 --home "$home" --lookup-parallelism "$alpha" \
        >/dev/null 2>"$home/alpha-err"; then
        die "dht serve --lookup-parallelism $alpha started"
    fi
    grep -q "lookup-parallelism" "$home/alpha-err" || { cat "$home/alpha-err" >&2; die "the refusal names no option"; }
done

log "meshbench dht-net --nodes 5 --lookups 20"
timeout -k 10 150 "$BIN/meshbench" dht-net --nodes 5 --lookups 20 --timeout 10 >"$out" \
    || { cat "$out" >&2; die "meshbench dht-net failed"; }
tail -n 1 "$out" >&2

python3 - "$out" <<'PY'
import json, sys
report = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
fields = ["success", "get_ms_p50", "get_ms_p99", "publish_ms_p50", "publish_ms_p99", "rss_mb_per_node"]
problems = []
for key in ["nodes", "lookups", "values", "theirs_version", "ratio_direction", "ours_value_lookup_definition"]:
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
if report.get("ours_lookup_parallelism") != 10:
    problems.append(f"ours_lookup_parallelism is {report.get('ours_lookup_parallelism')!r}, not the default 10")
if "meshpeer-dht" not in str(report.get("ours_process", "")):
    problems.append(f"ours_process is {report.get('ours_process')!r}: the race must run meshpeer-dht")
if report.get("ours_value_lookup_quorum") != 0.75:
    problems.append(f"ours_value_lookup_quorum is {report.get('ours_value_lookup_quorum')!r}, not the default 0.75")
# Pair tags (decision 0124): on by default, and used for most datagrams between real processes (only a first
# contact is signed), so a driver path that never tagged would show here.
# Datagrams per get (every node's sent count across the gets): ours hears three quarters of the k closest, so it must
# send some; theirs may answer every get from its own store in a network smaller than k.
if not report.get("ours", {}).get("get_datagrams_per_lookup", 0) > 0:
    problems.append(f"ours.get_datagrams_per_lookup is {report.get('ours', {}).get('get_datagrams_per_lookup')!r}")
if not isinstance(report.get("theirs", {}).get("get_datagrams_per_lookup"), (int, float)):
    problems.append("theirs.get_datagrams_per_lookup is missing: the Python peer's stats lost their datagram count")
if report.get("ours_pair_tags") is not True:
    problems.append(f"ours_pair_tags is {report.get('ours_pair_tags')!r}, not the default true")
if not report.get("ours_datagrams_sent", 0) > 0 or not report.get("ours_tagged_share", 0) > 0.5:
    problems.append(
        f"ours_tagged_share is {report.get('ours_tagged_share')!r} of {report.get('ours_datagrams_sent')!r} datagrams"
    )
if problems:
    sys.exit("dht-net report: " + "; ".join(problems))
PY
log "dht-net: JSON shape right, both sides above 0.9 success"
cp "$out" "$home/default.json"

log "meshbench dht-net --nodes 5 --lookups 20 --ours-value-quorum 0 --ours-alpha 3: the first record, as theirs"
timeout -k 10 150 "$BIN/meshbench" dht-net --nodes 5 --lookups 20 --timeout 10 --ours-value-quorum 0 --ours-alpha 3 \
    >"$out" || { cat "$out" >&2; die "meshbench dht-net --ours-value-quorum 0 failed"; }
python3 - "$home/default.json" "$out" <<'PY'
import json, sys
default, first = (json.loads(open(path).read().strip().splitlines()[-1]) for path in sys.argv[1:3])
problems = []
if (first.get("ours_value_lookup_quorum"), first.get("ours_lookup_parallelism")) != (0, 3):
    problems.append(f"quorum and alpha are {first.get('ours_value_lookup_quorum')!r}, {first.get('ours_lookup_parallelism')!r}")
if first.get("ours", {}).get("success", 0) <= 0.9:
    problems.append(f"ours success {first.get('ours', {}).get('success')!r}")
# Without the replay defence a get stops at the first record (decision 0125: nor does it ask the key's whole
# neighbourhood at once), so it must cost fewer datagrams than the default's.
fewer, more = first["ours"]["get_datagrams_per_lookup"], default["ours"]["get_datagrams_per_lookup"]
if not fewer < more:
    problems.append(f"{fewer} datagrams per get with quorum 0, not fewer than the default's {more}")
if problems:
    sys.exit("dht-net --ours-value-quorum 0: " + "; ".join(problems))
PY
log "dht-net --ours-value-quorum 0: fewer datagrams per get than the replay defence's"

log "meshbench dht-net --nodes 3 --lookups 5 --ours-no-pair-tags: every datagram of ours signed"
timeout -k 10 120 "$BIN/meshbench" dht-net --nodes 3 --lookups 5 --timeout 10 --ours-no-pair-tags >"$out" \
    || { cat "$out" >&2; die "meshbench dht-net --ours-no-pair-tags failed"; }
python3 - "$out" <<'PY'
import json, sys
report = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
problems = []
if report.get("ours_pair_tags") is not False:
    problems.append(f"ours_pair_tags is {report.get('ours_pair_tags')!r}")
if not report.get("ours_datagrams_sent", 0) > 0 or report.get("ours_datagrams_tagged") != 0:
    problems.append(f"{report.get('ours_datagrams_tagged')!r} of {report.get('ours_datagrams_sent')!r} tagged")
if report.get("ours", {}).get("success", 0) <= 0.9:
    problems.append(f"ours success {report.get('ours', {}).get('success')!r}")
if problems:
    sys.exit("dht-net --ours-no-pair-tags: " + "; ".join(problems))
PY
log "dht-net --ours-no-pair-tags: nothing tagged, lookups still found"
