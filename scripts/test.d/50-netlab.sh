#!/usr/bin/env bash
# The network lab (needs root; CI runs as root): nat-check in every NAT topology, a reachable UPnP mapping behind a
# real miniupnpd, and the ICE matrix between every pair of topologies. About 2 minutes.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
    log "netlab skipped: it needs root (network namespaces); CI runs it as root"
    exit 0
fi
swift build --product meshpeer >&2
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
# CI moves 1 MiB over the direct channel in every direct cell (debug build, four cells at a time on 2 cores);
# `scripts/netlab --json` alone moves the issue's 10 MiB.
NETLAB_TRANSFER_BYTES="${NETLAB_TRANSFER_BYTES:-1048576}" "$ROOT/scripts/netlab" --json | tee "$out"
tail -1 "$out" | python3 -c 'import json, sys; m = json.load(sys.stdin); assert len(m["cells"]) == 21, m; print("direct_rate", m["direct_rate"])'
