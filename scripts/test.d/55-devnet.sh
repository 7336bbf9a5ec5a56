#!/usr/bin/env bash
# The main job as CI runs it: `meshpeer devnet` starts a bootstrap node, two relays and three agents as real
# processes on 127.0.0.1 (and an indexer) and checks every step (discovery, a held knock approved, messages both ways with
# receipts, an automatic knock, store and forward to an agent that was offline, exactly once and in order, a search
# by words through the indexer).
# It exits non-zero, with the failing step and its log, if any check fails. Needs only loopback.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
WORK="$(mktemp -d)"
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        for log in "$WORK"/*.log; do echo "--- $log"; tail -n 30 "$log"; done >&2
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

summary="$(timeout 300 "$BIN" devnet --dir "$WORK" --json | tail -1)"
printf '%s' "$summary" | python3 -c 'import json,sys
s = json.load(sys.stdin)
assert len(s["agents"]) == 3, s
assert len(s["checks"]) == 7, s["checks"]  # the seventh: a search by words through the indexer
for check in s["checks"]:
    print("  ok  " + check)'
