#!/usr/bin/env bash
# The main job as CI runs it: `meshpeer devnet` starts a bootstrap node, two relays and three agents as real
# processes on 127.0.0.1 (and an indexer) and checks every step (discovery, a held knock approved, messages both ways with
# receipts, an automatic knock, store and forward to an agent that was offline, exactly once and in order, a search
# by words through the indexer).
# It exits non-zero, with the failing step and its log, if any check fails. Needs only loopback.
#
# Then the mesh is left running (--keep) and devnet is killed with SIGKILL, which it cannot catch: every process it
# started must stop by itself (each one's standard input is a pipe devnet holds; its end of file is the parent's
# death, `ParentWatch`), instead of running on with its ports and data directory.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
WORK="$(mktemp -d)"
DEVNET=""
children=""
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        for log in "$WORK"/*.log "$WORK"/devnet.err; do [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }; done >&2
    fi
    [ -n "$DEVNET" ] && children="$children $(children_of "$DEVNET")" && kill -9 "$DEVNET" 2>/dev/null
    for pid in $children; do
        alive "$pid" && grep -q meshpeer "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# stat_fields PID: the fields of /proc/PID/stat after the command's closing parenthesis (state, ppid, ...), or
# nothing when the process is gone. Read from /proc, so no procps is needed (a minimal Debian has no `ps`).
stat_fields() {
    local line
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    printf '%s\n' "${line##*) }"
}
# alive PID: running, and not a zombie waiting for a reaper.
alive() {
    local fields
    fields=$(stat_fields "$1") || return 1
    [ "${fields%% *}" != "Z" ]
}
# children_of PID: the pids whose parent is PID.
children_of() {
    local entry pid fields
    for entry in /proc/[0-9]*; do
        pid=${entry#/proc/}
        fields=$(stat_fields "$pid") || continue
        read -r _ ppid _ <<<"$fields"
        [ "$ppid" = "$1" ] && echo "$pid"
    done
    return 0
}

"$BIN" devnet --dir "$WORK" --keep --json > "$WORK/devnet.out" 2> "$WORK/devnet.err" &
DEVNET=$!
disown "$DEVNET"
deadline=$((SECONDS + 300))
until [ -s "$WORK/devnet.out" ]; do
    alive "$DEVNET" || die "devnet exited before its summary"
    [ "$SECONDS" -lt "$deadline" ] || die "no devnet summary within 300 s"
    sleep 0.2
done
tail -1 "$WORK/devnet.out" | python3 -c 'import json,sys
s = json.load(sys.stdin)
assert len(s["agents"]) == 3, s
assert len(s["checks"]) == 7, s["checks"]  # the seventh: a search by words through the indexer
for check in s["checks"]:
    print("  ok  " + check)'

children=$(children_of "$DEVNET")
count=$(printf '%s\n' $children | grep -c .)
# A bootstrap node, two relays, three agents, an indexer.
[ "$count" -eq 7 ] || die "devnet runs $count processes, expected 7:$(for p in $children; do printf '\n  %s' "$(tr '\0' ' ' </proc/$p/cmdline)"; done)"
kill -9 "$DEVNET"
DEVNET=""
deadline=$((SECONDS + 30))
while :; do
    left=""
    for pid in $children; do alive "$pid" && left="$left $pid"; done
    [ -z "$left" ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "30 s after devnet's SIGKILL these still run:$(for p in $left; do printf '\n  %s' "$(tr '\0' ' ' < /proc/$p/cmdline)"; done)"
    sleep 0.1
done
log "devnet killed with SIGKILL: its $count processes stopped by themselves within $((30 - (deadline - SECONDS))) s"
