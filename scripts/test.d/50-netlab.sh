#!/usr/bin/env bash
# The network lab (needs root; CI runs as root): nat-check in every NAT topology, a reachable UPnP mapping behind a
# real miniupnpd, and the ICE matrix between every pair of topologies (the port-prediction cells once more
# without prediction). About 2 minutes.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
    log "netlab skipped: it needs root (network namespaces); CI runs it as root"
    exit 0
fi
swift build --product meshpeer >&2
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
# CI checks ICE only. The direct-channel transfer over each direct cell (`scripts/netlab --json`, 10 MiB) passed
# 13/13 on a quiet machine but stalled in cells with the UPnP gateway in one CI run (docs/direct-path.md), so it
# is not a CI gate until that is understood.
NETLAB_TRANSFER_BYTES="${NETLAB_TRANSFER_BYTES:-0}" "$ROOT/scripts/netlab" --json | tee "$out"
# Symmetric <-> port-restricted is direct only by port prediction (docs/ice.md); the matrix script fails on it too,
# and this says so by name. Both direct rates are printed: with prediction, and with it off in the same run.
tail -1 "$out" | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert len(m["cells"]) == 21, m
cell = [c for c in m["cells"] if {c["a"], c["b"]} == {"symmetric", "port-restricted"}][0]
assert cell["path"] == "direct" and cell["path_without_prediction"] == "needs-relay", cell
print("direct_rate", m["direct_rate"], "direct_rate_without_prediction", m["direct_rate_without_prediction"])'
