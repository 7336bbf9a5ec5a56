#!/usr/bin/env bash
# LAN discovery by multicast: two `meshpeer dht serve` nodes in two network namespaces on one veth link find
# each other with no bootstrap list, and then two agents' `meshpeer run --lan` do. Needs root (CI runs as root); skipped with a notice otherwise.
# Addresses: 198.51.100.0/28 (documentation range); nothing is linked to the host's interfaces.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

if [ "$(id -u)" -ne 0 ]; then
    log "dht lan: SKIPPED (needs root to create network namespaces)"
    exit 0
fi
ensure_packages iproute2
build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
TAG="kad$$"
WORK="$(mktemp -d)"
source "$ROOT/scripts/lib/netns-pair.sh"
ip -n "${TAG}a" addr add 198.51.100.1/28 dev "${TAG}-va"
ip -n "${TAG}b" addr add 198.51.100.2/28 dev "${TAG}-vb"
for ns in a b; do
    ip -n "${TAG}$ns" link set lo up
    ip -n "${TAG}$ns" link set "${TAG}-v$ns" up
    # A LAN has a default route; this one has none, so multicast needs its own route.
    ip -n "${TAG}$ns" route add 224.0.0.0/4 dev "${TAG}-v$ns"
done

start() { # start NS ADDRESS
    ip netns exec "${TAG}$1" "$BIN" dht serve --ephemeral --listen "$2:4646" --lan "$2" --json \
        >"$WORK/$1.log" 2>&1 &
    pids+=("$!")
}
start a 198.51.100.1
start b 198.51.100.2

deadline=$((SECONDS + 30))
until grep -q '"address":"198.51.100.2:4646","event":"contact-added"' "$WORK/a.log" \
    && grep -q '"address":"198.51.100.1:4646","event":"contact-added"' "$WORK/b.log"; do
    [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/a.log" "$WORK/b.log" >&2; die "LAN nodes did not find each other"; }
    sleep 0.1
done
log "dht lan: two nodes found each other by multicast in $((30 - deadline + SECONDS)) s"

# The same LAN with agents: `meshpeer run --lan` on each side, no bootstrap node and no relay. Each node's DHT
# meets the other's by multicast, and agent a finds agent b's signed record by DID through its own API.
agent() { # agent NS ADDRESS
    local dir="$WORK/agent-$1"
    "$BIN" init --home "$dir" >"$dir.init.log" 2>&1 || { cat "$dir.init.log" >&2; die "meshpeer init failed"; }
    echo '{"dht": {"listen": ["'"$2"':4700"]}, "relays": [], "direct": {"mode": "relay"}}' >"$dir/config.json"
    ip netns exec "${TAG}$1" "$BIN" run --home "$dir" --lan "$2" --json >"$dir.out" 2>"$dir.log" &
    pids+=("$!")
}
agent a 198.51.100.1
agent b 198.51.100.2
for side in a b; do wait_for "$WORK/agent-$side.out" '"ready"' 30; done
grep -q '"LAN discovery"\|LAN discovery' "$WORK/agent-a.log" || die "agent a did not report LAN discovery: $(cat "$WORK/agent-a.log")"
did_b="$(grep -o '"did":"[^"]*"' "$WORK/agent-b.out" | head -1 | cut -d'"' -f4)"
deadline=$((SECONDS + 60))
until ip netns exec "${TAG}a" "$BIN" find --home "$WORK/agent-a" --did "$did_b" --json >"$WORK/find.json" 2>"$WORK/find.err" \
    && grep -q "$did_b" "$WORK/find.json"; do
    [ "$SECONDS" -lt "$deadline" ] ||
        { cat "$WORK/find.json" "$WORK/find.err" "$WORK/agent-a.log" "$WORK/agent-b.log" >&2; die "agent a did not find agent b on the LAN"; }
    sleep 0.5
done
log "dht lan: meshpeer run --lan: agent a found agent b's record with no bootstrap node in $((60 - deadline + SECONDS)) s"
