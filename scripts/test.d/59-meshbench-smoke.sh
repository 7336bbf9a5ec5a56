#!/usr/bin/env bash
# Every `meshbench` scenario, small, on the debug build: each must exit 0 and print one JSON object as its last
# line, with its scenario's name and the fields the README and the issues quote, each a finite number that is not
# negative, plus the invariants no run may break whatever the machine's speed (no forged record accepted, no
# duplicate, nothing lost across path switches). The figures themselves are not checked: they come from release
# runs quoted with their commands in the README. Until this suite, only `dht-net` (32-dht-race.sh) ran in CI, so a
# scenario that had stopped working, or a field that had been renamed, would have been found only by the next
# person to quote it. `dht-net` stays in 32-dht-race.sh. Needs tcpdump (the e2e scenario's idle packet count) and
# runs as root in CI.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_packages tcpdump python3

build_products meshpeer meshbench
BIN="$(swift build --show-bin-path)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# scenario NAME SECONDS FIELDS -- ARGS...: runs `meshbench NAME ARGS...` within SECONDS and checks FIELDS (space
# separated) in its last line. Writes the report to $work/NAME.json for the invariants below.
scenario() {
    local name="$1" seconds="$2" fields="$3"
    shift 4
    log "meshbench $name $*"
    if ! timeout -k 10 "$seconds" "$BIN/meshbench" "$name" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
        tail -n 30 "$work/$name.err" >&2
        die "meshbench $name failed or took over $seconds s"
    fi
    tail -n 1 "$work/$name.out" >"$work/$name.json"
    python3 - "$work/$name.json" "$name" "$fields" <<'PY' || die "meshbench $name: the report is not what the docs quote"
import json, math, sys
path, name, fields = sys.argv[1], sys.argv[2], sys.argv[3].split()
try:
    report = json.loads(open(path).read())
except ValueError as error:
    sys.exit(f"the last line is not JSON ({error}): {open(path).read()[:200]!r}")
problems = [] if report.get("scenario") == name else [f"scenario is {report.get('scenario')!r}"]
for field in fields:
    value = report
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{field} is {value!r}")
    elif not math.isfinite(value) or value < 0:
        problems.append(f"{field} = {value}")
if problems:
    sys.exit(f"meshbench {name}: " + "; ".join(problems))
PY
}

scenario codec 120 "frames_per_s baseline_copies_per_s codec_ratio" -- --frames 2000
scenario crypto 120 "ed25519_verify_per_s baseline_ed25519_verify_per_s ed25519_verify_ratio aead_seal_open_ratio" \
    -- --iterations 200
scenario ratchet 120 "encrypt_per_s decrypt_per_s symmetric_ratio dh_step_ratio x3dh_ratio first_decrypt_ratio" \
    -- --messages 100 --rounds 1
scenario direct 120 "goodput_mbps goodput_ratio goodput_ratio_batched latency_ms_p50 latency_ms_p99" \
    -- --bytes 262144 --rounds 1
scenario ice 120 "checks_per_s check_ratio responder_ratio" -- --messages 2000
scenario relay 120 "forwarded_per_s baseline_forwarded_per_s ratio_to_baseline latency_ms_p99 duplicates rss_mb" \
    -- --clients 4 --messages 400
scenario relay-store 120 "store_per_s drain_per_s baseline_bulk_insert_per_s" -- --envelopes 500
scenario dht 300 "success_rate hops_p50 latency_ms_p50 latency_ms_p99 publish_ms_p50 messages_per_lookup" \
    -- --nodes 200 --lookups 100
scenario indexer 300 "ingest_per_s query_ms_p50 query_ms_p99 baseline_query_ms_p99 crawl_coverage crawl_virtual_seconds" \
    -- --records 500 --queries 50 --crawl-nodes 300
scenario e2e 600 "first_message_ms_p50 first_message_ms_p99 msgs_per_s_relay baseline_relay_forward_per_s ratio_relay \
crypto_only_msgs_per_s_ceiling ratio_relay_ceiling_crypto_only msgs_per_s_direct idle_rss_mb idle_packets_per_s \
knock_flood_offered_per_s api_p99_ms_under_flood switch_loss" \
    -- --agents 4 --messages 200 --switch-messages 40 --switches 2 --idle-seconds 2 --flood-knocks 200 \
    --status-requests 100

log "invariants no run may break"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def report(name):
    return json.loads(open(f"{work}/{name}.json").read())
problems = []
relay, dht, indexer, e2e = report("relay"), report("dht"), report("indexer"), report("e2e")
if relay["duplicates"] != 0:
    problems.append(f"relay: {relay['duplicates']} envelopes delivered twice")
if dht["forged_accepted"] != 0:
    problems.append(f"dht: {dht['forged_accepted']} forged records accepted")
if dht["success_rate"] < 0.9:
    problems.append(f"dht: success {dht['success_rate']} at 200 nodes")
if dht["tables"] != "joined" or dht["churn_model"] != "continuous":
    problems.append(f"dht: the default model is {dht['tables']}/{dht['churn_model']}, not joined/continuous")
if indexer["crawl_coverage"] < 0.9:
    problems.append(f"indexer: crawl coverage {indexer['crawl_coverage']} of 300 nodes")
if e2e["switch_loss"] != 0 or e2e["switch_out_of_order"] != 0:
    problems.append(f"e2e: {e2e['switch_loss']} lost or repeated and {e2e['switch_out_of_order']} out of order "
                    "across path switches")
if e2e["msgs_per_s_relay"] <= 0 or e2e["crypto_only_msgs_per_s_ceiling"] <= e2e["msgs_per_s_relay"]:
    problems.append("e2e: the crypto-only ceiling is not above the node's own rate: "
                    f"{e2e['crypto_only_msgs_per_s_ceiling']} against {e2e['msgs_per_s_relay']}")
if not isinstance(e2e.get("targets_met"), dict) or "ratio_relay >= 0.25" not in e2e["targets_met"]:
    problems.append("e2e: targets_met does not judge the relay ratio")
if problems:
    sys.exit("meshbench smoke: " + "; ".join(problems))
PY
log "every meshbench scenario ran and printed its fields"
