#!/usr/bin/env bash
# Real agents in the network lab (needs root; CI runs as root): `scripts/netlab --agents --json` runs two fresh
# `meshpeer run` agents in each of the 28 cells (21 pairs of topologies, 7 same-topology cells), with a DHT bootstrap
# node and a relay on the lab's internet; they knock, exchange 100 messages each way and move 10 MiB, and a
# conversation has its direct path cut at a NAT and must go on through the relay and upgrade again
# (docs/netlab-agents.md). Four cells at a time; about 3-4 minutes on a 2-core machine.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
    log "netlab agents skipped: it needs root (network namespaces); CI runs it as root"
    exit 0
fi
build_products meshpeer meshlab
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
timeout 900 "$ROOT/scripts/netlab" --agents --json | tee "$out" || status=$?
# The report is checked here by name as well as by the lab's own exit status, so a failure says which target.
tail -1 "$out" | python3 -c '
import json, sys
m = json.load(sys.stdin)
cells = m["cells"]
assert len(cells) == 28, f"{len(cells)} cells, expected 28"
lost = [c for c in cells if c["delivered"] != c["sent"] or c["sent"] == 0 or c["duplicates"]]
assert not lost, f"messages lost or repeated: {lost}"
assert m["delivery_rate"] == 1.0, m["delivery_rate"]
assert all(c["sha256_match"] for c in cells), [c for c in cells if not c["sha256_match"]]
relayed = [(c["a"], c["b"], c["path"]) for c in cells if c["expected_direct"] and c["path"] != "direct"]
assert not relayed, f"cells the ICE lab punches that stayed on the relay: {relayed}"
assert m["direct_distinct"] == 15, m["direct_distinct"]
# Measured from the first send (an upper bound of the time from the first offer).
assert m["time_to_direct_ms_p50"] is not None and m["time_to_direct_ms_p50"] <= 1000, m["time_to_direct_ms_p50"]
cut = m["cut"]
assert cut["ok"] and cut["steps"] == ["direct", "cut", "relayed", "direct again"], cut
print("cells", len(cells), "delivery_rate", m["delivery_rate"], "direct_rate", m["direct_rate"],
      "direct distinct", m["direct_distinct"], "same-topology", m["direct_same_topology"],
      "time_to_direct_ms p50", m["time_to_direct_ms_p50"], "cut", cut["steps"], "elapsed_s", m["elapsed_s"])'
[ "$status" -eq 0 ] || die "scripts/netlab --agents exited with $status"
