#!/usr/bin/env bash
# Demo: volunteer relays with no registry. Two `meshpeer relay` processes on 127.0.0.1, each also a DHT bootstrap
# node; the second joins the first's DHT. Both publish signed relay adverts, and an agent that knows only one DHT
# address finds both relays, their addresses and their policy, each advert verified.
# Given MESHPEER (the binary) and DEMO_DIR by scripts/demo. Every process is stopped on exit.
source "$(dirname "$0")/../lib/common.sh"
: "${MESHPEER:?}" "${DEMO_DIR:?}"
WORK="$DEMO_DIR/relays"
mkdir -p "$WORK"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

relay() { # relay NAME DHT-JSON: starts a relay and sets DHT_PORT once it listens and has published its advert
    local name="$1" dht="$2"
    printf '{"listen":"127.0.0.1:0","data":"%s","dht":%s}\n' "$WORK/$name" "$dht" >"$WORK/$name.json"
    "$MESHPEER" relay --config "$WORK/$name.json" >"$WORK/$name.log" 2>&1 &
    pids+=("$!")
    wait_for "$WORK/$name.log" '"event":"listening"' 60
    DHT_PORT="$(grep -m1 '"event":"listening"' "$WORK/$name.log" | grep -o '"dht_port":[0-9]*' | cut -d: -f2)"
    wait_for "$WORK/$name.log" '"event":"advert-published"' 60
}

relay relay-a '{"listen":["127.0.0.1:0"]}'
SEED="$DHT_PORT"
relay relay-b "{\"listen\":[\"127.0.0.1:0\"],\"bootstrap\":[\"127.0.0.1:$SEED\"]}"
echo "  2 relays up, each also a DHT node (seed at 127.0.0.1:$SEED)"

# The second relay's advert reaches the seed's side of the DHT once it has peers; a lookup retries, bounded.
found=""
for _ in $(seq 1 20); do
    found="$("$MESHPEER" dht relays --bootstrap "127.0.0.1:$SEED" --listen 127.0.0.1:0 --json --timeout 5 || true)"
    [ "$(printf '%s' "$found" | grep -o '"relay":"did:key' | wc -l)" -ge 2 ] && break
    sleep 0.5
done
printf '%s\n' "$found" | tail -1 | python3 -c 'import json,sys
r = json.loads(sys.stdin.read())
relays = r.get("relays", [])
if len(relays) < 2:
    sys.exit("demo: expected 2 relays in the DHT, found %d: %s" % (len(relays), r))
print("  relays announced in the DHT, adverts verified (%d ms):" % r["latency_ms"])
for x in relays:
    print("      %s" % x["relay"])
    print("        at %s; up to %d connections, envelopes up to %d KiB, kept %d days" % (
        ", ".join(x["addresses"]), x["maximum_connections"], x["maximum_envelope_bytes"] // 1024,
        x["ttl_seconds"] // 86400))'
