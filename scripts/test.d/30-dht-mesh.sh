#!/usr/bin/env bash
# Multi-process DHT test: 20 real `meshpeer dht serve` processes on 127.0.0.1.
#   - one node publishes its agent record and two capabilities (short TTLs: 8 s, republished every 2 s);
#   - a lookup started at every other node finds the record and both capabilities;
#   - a relay on loopback (--lab) is refused by `dht relays` (its advert names no public address) unless --lab;
#   - after the publisher is killed, its record and provider entries disappear once their TTL has passed.
# Waits poll with bounded deadlines; every process is killed on exit. Needs only loopback.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

NODES=20
TTL=8
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

port_of() { grep -m1 '"event":"listening"' "$1" | grep -o '127\.0\.0\.1:[0-9]*' | head -1 | cut -d: -f2; }

serve() { # serve NAME ARGS...: starts a node, waits for its listening line, sets PORT
    local name="$1"; shift
    "$BIN" dht serve --listen 127.0.0.1:0 --json "$@" >"$WORK/$name.log" 2>&1 &
    pids+=("$!")
    wait_for "$WORK/$name.log" '"event":"listening"' 30
    PORT="$(port_of "$WORK/$name.log")"
}

log "starting $((NODES - 1)) DHT nodes"
serve node0 --ephemeral
ports=("$PORT")
for i in $(seq 1 $((NODES - 2))); do
    serve "node$i" --ephemeral --bootstrap "127.0.0.1:${ports[0]}" --bootstrap "127.0.0.1:${ports[$((i - 1))]}"
    ports+=("$PORT")
done

log "every DHT node answers STUN Binding requests on its DHT port"
check="$("$BIN" nat-check --stun "127.0.0.1:${ports[1]}" --stun "127.0.0.1:${ports[2]}" --json)"
[ "$(printf '%s' "$check" | grep -o '"mapped":"127\.0\.0\.1:[0-9]*"' | wc -l)" -eq 2 ] \
    || die "DHT ports did not answer STUN with a mapped address: $check"

log "nat-check with no --stun asks the bootstrap list's nodes (a name resolves), and says how sure it is"
mkdir -p "$WORK/natcheck-home"
printf '{"version":1,"nodes":[{"address":"localhost:%s"},{"address":"127.0.0.1:%s"}]}\n' "${ports[1]}" "${ports[2]}" \
    >"$WORK/natcheck-home/bootstrap-nodes.json"
check="$("$BIN" nat-check --home "$WORK/natcheck-home" --bind 127.0.0.1:0 --json)"
grep -q '"certainty":"full"' <<<"$check" && grep -q '"class":"open"' <<<"$check" \
    || die "nat-check from the bootstrap list: $check"
check="$("$BIN" nat-check --stun "127.0.0.1:${ports[1]}" --bind 127.0.0.1:0 --json)"
grep -q '"certainty":"partial"' <<<"$check" || die "one server cannot be full certainty: $check"
silent="$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
check="$("$BIN" nat-check --stun "127.0.0.1:$silent" --bind 127.0.0.1:0 --json || true)"
grep -q '"class":"no-answer"' <<<"$check" && grep -q '"certainty":"none"' <<<"$check" \
    || die "silence must be reported as no answer, not as a NAT class: $check"

log "starting the publisher (record TTL ${TTL} s)"
export MESHPEER_HOME="$WORK/publisher-home"
"$BIN" init --json >/dev/null
DID="$("$BIN" id --json | grep -o 'did:key:z[1-9A-HJ-NP-Za-km-z]*' | head -1)"
unset MESHPEER_HOME
printf '{"name":"mesh-test-agent","skills":[{"id":"translate"}]}\n' >"$WORK/card.json"
serve publisher --home "$WORK/publisher-home" --bootstrap "127.0.0.1:${ports[0]}" \
    --publish-card "$WORK/card.json" --provide translate --provide summarise --provide meshpeer/relay \
    --record-ttl "$TTL" --republish 2
publisher_pid="${pids[-1]}"
wait_for "$WORK/publisher.log" '"capability":"summarise".*"event":"published"' 30
grep '"event":"published"' "$WORK/publisher.log" | grep -q '"accepted":0,' && die "a publish reached nobody"

lookup() { # lookup PORT get|providers ARG: one client lookup through the node at PORT
    if [ "$2" = get ]; then
        "$BIN" dht get --did "$3" --bootstrap "127.0.0.1:$1" --listen 127.0.0.1:0 --json --timeout 5
    else
        "$BIN" dht providers "$3" --bootstrap "127.0.0.1:$1" --listen 127.0.0.1:0 --json --timeout 5
    fi
}

# lookup_all KIND ARG: runs one lookup through every node at once; outputs land in $WORK/out-KIND-ARG-PORT.
lookup_all() {
    local port jobs=()
    for port in "${ports[@]}"; do
        lookup "$port" "$1" "$2" >"$WORK/out-$1-$2-$port" 2>&1 &
        jobs+=("$!")
    done
    wait "${jobs[@]}" || true
}

log "looking up the record and both capabilities from each of the other $((NODES - 1)) nodes"
lookup_all get "$DID"
lookup_all providers translate
lookup_all providers summarise
for port in "${ports[@]}"; do
    grep -q "\"did\":\"$DID\".*\"found\":true" "$WORK/out-get-$DID-$port" \
        || die "node at $port did not find the record: $(cat "$WORK/out-get-$DID-$port")"
    for capability in translate summarise; do
        grep -q "\"found\":true.*$DID" "$WORK/out-providers-$capability-$port" \
            || die "node at $port did not find $capability: $(cat "$WORK/out-providers-$capability-$port")"
    done
done

log "an agent that claims to be a relay without a signed advert is refused by 'dht relays', not listed"
wait_for "$WORK/publisher.log" '"capability":"meshpeer.\{0,2\}relay".*"event":"published"' 30  # JSON writes / as \/
relays="$("$BIN" dht relays --bootstrap "127.0.0.1:${ports[4]}" --listen 127.0.0.1:0 --json --timeout 5)"
printf '%s' "$relays" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
assert r["found"] is False and r["relays"] == [], r
assert [x["provider"] for x in r["refused"]] == [sys.argv[1]], r
assert r["refused"][0]["reason"].startswith("no valid relay advert"), r' "$DID" \
    || die "dht relays listed or missed a provider without an advert: $relays"

log "a relay on loopback (--lab) is listed by 'dht relays --lab' and refused without it (a loopback advert)"
"$BIN" relay --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --data "$WORK/relay" --lab \
    --dht-listen 127.0.0.1:0 --bootstrap "127.0.0.1:${ports[0]}" >"$WORK/relay.log" 2>&1 &
pids+=("$!")
# Until three nodes hold the advert (the relay joins as it publishes, and republishes as its table grows): a lookup
# that stops at its quorum missed an advert held by the bootstrap node alone (CI, stop 27).
wait_for "$WORK/relay.log" '"accepted":\([3-9]\|[1-9][0-9]\)[,}].*"event":"advert-published"' 60
RELAY_PORT="$(grep -m1 '"event":"listening"' "$WORK/relay.log" | grep -o '"port":[0-9]*' | cut -d: -f2)"
refused="$("$BIN" dht relays --bootstrap "127.0.0.1:${ports[6]}" --listen 127.0.0.1:0 --json --timeout 5)"
printf '%s' "$refused" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
assert r["relays"] == [], r
lab = [x for x in r["refused"] if "relay" in x]
assert len(lab) == 1 and lab[0]["reason"].startswith("advertises no public address"), r
assert "loopback" in lab[0]["reason"] and "--lab" in lab[0]["reason"], r' \
    || die "dht relays listed a loopback relay outside the lab: $refused"
listed="$("$BIN" dht relays --lab --bootstrap "127.0.0.1:${ports[6]}" --listen 127.0.0.1:0 --json --timeout 5)"
printf '%s' "$listed" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
assert r["found"] is True and len(r["relays"]) == 1, r
assert r["relays"][0]["addresses"] == ["ws://127.0.0.1:%s/relay" % sys.argv[1]], r' "$RELAY_PORT" \
    || die "dht relays --lab did not list the loopback relay: $listed"

log "killing the publisher; its records must expire within the TTL"
kill "$publisher_pid"
killed_at=$SECONDS
deadline=$((killed_at + TTL + 20))
while lookup "${ports[3]}" get "$DID" | grep -q '"found":true' \
    || lookup "${ports[5]}" providers translate | grep -q '"found":true'; do
    [ "$SECONDS" -lt "$deadline" ] || die "records still found $((SECONDS - killed_at)) s after the kill (TTL ${TTL} s)"
    sleep 0.5
done
gone_after=$((SECONDS - killed_at))
lookup_all get "$DID"
lookup_all providers translate
for port in "${ports[@]}"; do
    grep -q '"found":false' "$WORK/out-get-$DID-$port" || die "node at $port still returns the expired record"
    grep -q '"found":false' "$WORK/out-providers-translate-$port" || die "node at $port still returns the provider"
done
log "dht mesh: $NODES processes; record and providers found from every node; gone ${gone_after} s after the kill"
