#!/usr/bin/env bash
# Packaging checks for deploy/systemd (no systemd is started and nothing is installed on this machine):
#   - both units pass `systemd-analyze verify` with no warning at all (unknown keys, bad values, a missing binary),
#     with ExecStart pointed at the binary just built (the units name /usr/local/bin/meshpeer);
#   - `systemd-analyze security --offline=yes` rates each unit's exposure at most 2.0, and the directives the
#     operators' guide promises are present (DynamicUser or User, LimitNOFILE, ProtectSystem=strict, StateDirectory,
#     NoNewPrivileges, an empty CapabilityBoundingSet);
#   - each unit's command lines run as written (paths moved to a temporary directory, addresses to 127.0.0.1):
#     the relay with deploy/systemd/relay.example.json starts, advertises its public URL without --lab, and stops
#     cleanly on SIGTERM; the node's ExecStartPre creates the identity once, and ExecStart starts the node.
# What this does not check: the units under a real systemd as PID 1 (a container has none), DynamicUser's user
# allocation, the sandbox at run time, journald. docs/operators.md says so too.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

ensure_packages systemd
build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
WORK="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

UNITS=(meshpeer-relay meshpeer-node)
for unit in "${UNITS[@]}"; do
    sed "s#/usr/local/bin/meshpeer#$BIN#g" "deploy/systemd/$unit.service" >"$WORK/$unit.service"
done

log "systemd-analyze verify (any output is a failure)"
for unit in "${UNITS[@]}"; do
    if ! out="$(systemd-analyze verify "$WORK/$unit.service" 2>&1)" || [ -n "$out" ]; then
        die "$unit.service does not verify: $out"
    fi
done

log "required hardening directives"
for unit in "${UNITS[@]}"; do
    file="deploy/systemd/$unit.service"
    grep -Eq '^(DynamicUser=yes|User=[a-z])' "$file" || die "$unit: neither DynamicUser nor a dedicated User"
    for directive in '^LimitNOFILE=[0-9]+$' '^ProtectSystem=strict$' '^StateDirectory=meshpeer-' \
        '^NoNewPrivileges=yes$' '^CapabilityBoundingSet=$' '^KillSignal=SIGTERM$'; do
        grep -Eq "$directive" "$file" || die "$unit: no line matching $directive"
    done
done

log "systemd-analyze security --offline=yes (exposure at most 2.0)"
for unit in "${UNITS[@]}"; do
    score="$(systemd-analyze security --offline=yes "$WORK/$unit.service" 2>&1 \
        | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')"
    [ -n "$score" ] || die "$unit: systemd-analyze security printed no exposure level"
    awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || die "$unit: exposure $score is over 2.0"
    log "  $unit.service: exposure $score"
done

# exec_line UNIT KEY: the command line of KEY= in UNIT, with the install paths moved into $WORK.
exec_line() {
    sed -n "s/^$2=//p" "deploy/systemd/$1.service" | head -1 \
        | sed -e "s#/usr/local/bin/meshpeer#$BIN#g" -e "s#/etc/meshpeer/relay.json#$WORK/relay.json#g" \
            -e "s#/var/lib/meshpeer-relay#$WORK/relay-state#g" -e "s#/var/lib/meshpeer-node#$WORK/node-state#g"
}

log "the relay unit's ExecStart with deploy/systemd/relay.example.json (addresses moved to 127.0.0.1)"
python3 - "$WORK/relay.json" <<'PY'
import json, sys
config = json.load(open("deploy/systemd/relay.example.json"))
config["listen"] = "127.0.0.1:0"
config["metricsListen"] = "127.0.0.1:0"
config["dht"]["listen"] = ["127.0.0.1:0"]
json.dump(config, open(sys.argv[1], "w"))
PY
relay_cmd="$(exec_line meshpeer-relay ExecStart)"
# shellcheck disable=SC2086  # the unit's command line, split as systemd splits it (no quoting in it)
$relay_cmd >"$WORK/relay.out" 2>"$WORK/relay.err" &
relay_pid=$!
pids+=("$relay_pid")
wait_for "$WORK/relay.out" '"event":"advert-published"' 30
grep -q 'wss:\\/\\/relay.example.org' "$WORK/relay.out" || die "the example advert is not the public URL"
head -1 "$WORK/relay.err" | python3 -c 'import json, sys; json.loads(sys.stdin.readline())' \
    || die "--log-format json did not write JSON: $(head -1 "$WORK/relay.err")"
kill -TERM "$relay_pid"
wait "$relay_pid" || die "the relay did not exit 0 on SIGTERM"
grep -q '"event":"stopped"' "$WORK/relay.out" || die "the relay did not say it stopped"

log "the node unit's ExecStartPre (twice: the key is created once) and ExecStart"
mkdir -p "$WORK/node-state"
printf '{"dht":{"listen":["127.0.0.1:0"]}}\n' >"$WORK/node-state/config.json"
pre="$(exec_line meshpeer-node ExecStartPre)"
pre="${pre#/bin/sh -c \'}"
pre="${pre%\'}"
sh -c "$pre" >/dev/null || die "ExecStartPre failed"
key_before="$(sha256sum "$WORK/node-state/identity.key")"
sh -c "$pre" >/dev/null || die "ExecStartPre failed on the second start"
[ "$key_before" = "$(sha256sum "$WORK/node-state/identity.key")" ] || die "ExecStartPre replaced the key"
node_cmd="$(exec_line meshpeer-node ExecStart)"
# shellcheck disable=SC2086
$node_cmd >"$WORK/node.out" 2>"$WORK/node.err" &
node_pid=$!
pids+=("$node_pid")
# The node writes api.json once its local API listens (its "running" text on stdout is block-buffered in a file).
deadline=$((SECONDS + 60))
until [ -s "$WORK/node-state/api.json" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "the node did not start its API: $(tail -5 "$WORK/node.err")"
    kill -0 "$node_pid" 2>/dev/null || die "the node exited: $(tail -5 "$WORK/node.err")"
    sleep 0.05
done
grep -q '"message":"no bootstrap nodes: starting alone' "$WORK/node.err" \
    || die "the node did not say (in JSON) that it starts alone: $(head -5 "$WORK/node.err")"
kill -TERM "$node_pid"
wait "$node_pid" || die "the node did not exit 0 on SIGTERM"

log "deploy: both units verify (exposure OK), and their command lines run as written"
