#!/usr/bin/env bash
# netlab-nodemap.sh PREFIX WORKDIR MESHPEER: the node's own port mapping (decision 0111), run by scripts/netlab,
# which owns the namespaces and their cleanup; logs go to stderr.
#
# An agent runs `meshpeer run` behind the lab's miniupnpd gateway (h-upnp) with a bootstrap node on the internet.
# Checked, each with a bounded wait:
# 1. the node maps its DHT port on the gateway and publishes the gateway's external address as a `dht-mapped`
#    address hint in its record;
# 2. an internet host that knows only that hint reaches the node's DHT unsolicited: `meshpeer dht get` with the
#    hint as its only bootstrap finds the agent's record (the gateway's NAT drops unsolicited packets to any other
#    port);
# 3. after SIGTERM the mapping is gone from the gateway's rules.
source "$(dirname "$0")/common.sh"
P="$1" work="$2" meshpeer="$3"
dir="$work/nodemap"
mkdir -p "$dir/agent" "$dir/asker"
bootstrap=203.0.113.1:4300
pids=()
finish() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap finish EXIT

mappings() { ip netns exec "$P-r-upnp" nft list chain inet filter prerouting_miniupnpd 2>/dev/null; }
# mapped PORT yes|no: waits (bounded: 5 s) until the gateway's rules hold, or no longer hold, a DNAT of PORT. One
# listing raced miniupnpd's own rule updates in CI (an empty listing while it rewrote the chain).
mapped() {
    local want="$2"
    for _ in $(seq 1 50); do
        if mappings | grep -q "dport $1 "; then [ "$want" = yes ] && return 0; else [ "$want" = no ] && return 0; fi
        sleep 0.1
    done
    return 1
}

ip netns exec "$P-inet" "$meshpeer" dht serve --ephemeral --listen "$bootstrap" --json \
    >"$dir/bootstrap.out" 2>"$dir/bootstrap.log" &
pids+=($!)
wait_for "$dir/bootstrap.out" '"listening"' 30

agent="$dir/agent"
echo '{"default": "accept"}' >"$agent/policy.json"
cat >"$agent/card.json" <<EOF2
{"name": "mapped agent", "description": "behind the lab's UPnP gateway", "version": "1.0.0",
 "defaultInputModes": ["application/json"], "defaultOutputModes": ["application/json"], "capabilities": {},
 "supportedInterfaces": [], "skills": [{"id": "netlab", "name": "netlab", "description": "lab", "tags": ["netlab"],
 "examples": []}]}
EOF2
cat >"$agent/config.json" <<EOF2
{"dht": {"listen": ["192.0.2.66:0"], "bootstrap": ["$bootstrap"]}, "relays": [],
 "republishSeconds": 20, "recordTTLSeconds": 120,
 "direct": {"mode": "auto", "hosts": ["192.0.2.66"], "stun": ["203.0.113.1:3478", "203.0.113.3:3478"]}}
EOF2
"$meshpeer" init --home "$agent" >"$agent/init.log" 2>&1 || die "nodemap: init failed: $(cat "$agent/init.log")"
ip netns exec "$P-h-upnp" timeout 300 "$meshpeer" run --home "$agent" --json >"$agent/run.out" 2>"$agent/run.log" &
apid=$!
pids+=($apid)
wait_for "$agent/run.out" '"ready"' 60
did="$(grep -o '"did":"[^"]*"' "$agent/run.out" | head -1 | cut -d'"' -f4)"
[ -n "$did" ] || die "nodemap: no DID in the ready line: $(cat "$agent/run.out")"

# 1. The record goes out again once the mapping is held ("address hints changed"), with the hint in it.
wait_for "$agent/run.log" 'dht-mapped' 30
hint="$(grep -o 'dht-mapped [0-9.]*:[0-9]*' "$agent/run.log" | tail -1 | cut -d' ' -f2)"
[ -n "$hint" ] || die "nodemap: no hint address in the log: $(grep 'record published' "$agent/run.log")"
case "$hint" in
203.0.113.70:*) ;;
*) die "nodemap: the hint $hint is not at the gateway's external address 203.0.113.70" ;;
esac
port="${hint##*:}"
mapped "$port" yes || die "nodemap: the gateway holds no mapping of port $port: $(mappings)"
log "nodemap: the node mapped its DHT port and published the hint $hint"

# 2. Only the hint as bootstrap: the lookup must reach the node through the gateway.
ip netns exec "$P-inet" timeout 60 "$meshpeer" dht get --home "$dir/asker" --ephemeral --listen 203.0.113.2:0 \
    --bootstrap "$hint" --did "$did" --json >"$dir/get.json" 2>"$dir/get.log" || true
grep -q '"found":true' "$dir/get.json" ||
    die "nodemap: an internet host did not reach the node at $hint: $(cat "$dir/get.json" "$dir/get.log")"
grep -q "dht-mapped $hint" "$dir/get.json" || die "nodemap: the record found has no hint $hint: $(cat "$dir/get.json")"
log "nodemap: an internet host that knew only the hint found the agent's record through the gateway"

# 3. Graceful stop deletes the mapping.
kill -TERM "$apid"
for _ in $(seq 1 150); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done # bounded: 15 s
kill -0 "$apid" 2>/dev/null && die "nodemap: the agent did not stop within 15 s of SIGTERM"
if ! mapped "$port" no; then
    die "nodemap: the mapping of port $port outlived the node: $(mappings)
agent: $(grep -i 'mapping\|shut\|stop' "$agent/run.log" | tail -5)
miniupnpd: $(tail -5 "$work/miniupnpd.log")"
fi
log "nodemap: SIGTERM removed the mapping from the gateway"
