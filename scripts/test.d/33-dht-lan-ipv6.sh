#!/usr/bin/env bash
# LAN discovery over IPv6 multicast (decision 0108): two `meshpeer dht serve` nodes in two IPv6-only network
# namespaces on one veth link find each other with no bootstrap list, on the defaults (DHT on 0.0.0.0 and [::],
# --lan naming the interface, both families asked for: IPv4 is skipped with a note because the link has none).
# Then the refusals: a link with only link-local IPv6 addresses, and an address no interface has, are clear errors,
# and an announcement from a link-local source is ignored with a note.
# Needs root (CI runs as root); skipped with a notice otherwise.
# Addresses: 2001:db8:4647::/64 (documentation range, `nodad` so they are usable at once); nothing is linked to the
# host's interfaces.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

if [ "$(id -u)" -ne 0 ]; then
    log "dht lan ipv6: SKIPPED (needs root to create network namespaces)"
    exit 0
fi
ensure_packages iproute2
build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
TAG="k6$$"
WORK="$(mktemp -d)"
source "$ROOT/scripts/lib/netns-pair.sh"
for ns in a b; do
    # No duplicate address detection, so the link-local addresses are usable at once (as `nodad` does below).
    ip netns exec "${TAG}$ns" sysctl -qw "net.ipv6.conf.${TAG}-v$ns.accept_dad=0"
    ip -n "${TAG}$ns" link set lo up
    ip -n "${TAG}$ns" link set "${TAG}-v$ns" up
done

serve() { # serve NS LOG ARGS...: one node in namespace NS, its JSON lines and notes in LOG
    local ns="$1" out="$2"
    shift 2
    mkdir -p "$WORK/home-$ns"
    ip netns exec "${TAG}$ns" "$BIN" dht serve --ephemeral --home "$WORK/home-$ns" --json "$@" >"$out" 2>&1 &
    pids+=("$!")
}

# 1. Only link-local addresses so far (the kernel gives every veth one): asked for IPv6 alone, the node refuses
# and says why. It exits by itself; the bounded wait below is only a guard.
timeout 20 ip netns exec "${TAG}a" "$BIN" dht serve --ephemeral --home "$WORK/home-a" --json \
    --lan "${TAG}-va" --lan-family ipv6 >"$WORK/linklocal.log" 2>&1 && die "a link-local-only interface was accepted"
grep -q "has only link-local IPv6 addresses" "$WORK/linklocal.log" \
    || { cat "$WORK/linklocal.log" >&2; die "no clear error for a link-local-only interface"; }

ip -n "${TAG}a" addr add 2001:db8:4647::1/64 dev "${TAG}-va" nodad
ip -n "${TAG}b" addr add 2001:db8:4647::2/64 dev "${TAG}-vb" nodad

# 2. An address that no interface has.
timeout 20 ip netns exec "${TAG}a" "$BIN" dht serve --ephemeral --home "$WORK/home-a" --json \
    --lan 2001:db8:4647::99 >"$WORK/nosuch.log" 2>&1 && die "an address no interface has was accepted"
grep -q "no interface has the address 2001:db8:4647::99" "$WORK/nosuch.log" \
    || { cat "$WORK/nosuch.log" >&2; die "no clear error for an unknown address"; }

# 3. Two nodes find each other: one names the interface, the other its address.
serve a "$WORK/a.log" --lan "${TAG}-va"
serve b "$WORK/b.log" --lan 2001:db8:4647::2

deadline=$((SECONDS + 30))
until grep -q '"address":"\[2001:db8:4647::2\]:4646","event":"contact-added"' "$WORK/a.log" \
    && grep -q '"address":"\[2001:db8:4647::1\]:4646","event":"contact-added"' "$WORK/b.log"; do
    [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/a.log" "$WORK/b.log" >&2; die "IPv6 LAN nodes did not find each other"; }
    sleep 0.1
done
met=$((30 - deadline + SECONDS))
grep -q '"event":"lan-discovery","family":"ipv6"' "$WORK/a.log" || die "no lan-discovery line for IPv6"
# An announcement from a link-local source (what the kernel picks for a link-scope group unless told otherwise)
# is ignored and noted once, never pinged: a DHT address carries no scope.
linklocal="$(ip -n "${TAG}b" -6 -o addr show dev "${TAG}-vb" scope link | awk '{ split($4, a, "/"); print a[1] }')"
[ -n "$linklocal" ] || die "the veth has no link-local address"
ip netns exec "${TAG}b" python3 - "${TAG}-vb" "$linklocal" <<'PY'
import socket, struct, sys
frame = b"MP\x01\x03\x01" + struct.pack(">I", 34) + struct.pack(">H", 4646) + bytes([0x5A] * 32)
index = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 0, 0, index))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
s.sendto(frame, ("ff12::cd50:1227", 4647))
PY
deadline=$((SECONDS + 10))
until grep -q 'ignored a LAN announcement from \[fe80:.*(link-local-source)' "$WORK/a.log"; do
    [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/a.log" >&2; die "a link-local announcer was not refused clearly"; }
    sleep 0.1
done
grep -q "LAN discovery skips IPv4: interface ${TAG}-va has no IPv4 address" "$WORK/a.log" \
    || { cat "$WORK/a.log" >&2; die "the skipped IPv4 family was not reported"; }
log "dht lan ipv6: two nodes found each other by IPv6 multicast in $met s; a link-local announcer was refused"

# 4. The link gains IPv4 too: on the same defaults both families run, and the nodes find each other again.
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
for ns in a b; do
    ip -n "${TAG}$ns" addr add "198.51.100.$([ "$ns" = a ] && echo 17 || echo 18)/28" dev "${TAG}-v$ns"
    # A LAN has a default route; this one has none, so IPv4 multicast needs its own route (IPv6 needs none).
    ip -n "${TAG}$ns" route add 224.0.0.0/4 dev "${TAG}-v$ns"
done
serve a "$WORK/a2.log" --lan "${TAG}-va"
serve b "$WORK/b2.log" --lan 198.51.100.18
deadline=$((SECONDS + 30))
until grep -q '"event":"contact-added"' "$WORK/a2.log" && grep -q '"event":"contact-added"' "$WORK/b2.log"; do
    [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/a2.log" "$WORK/b2.log" >&2; die "dual-stack LAN nodes did not meet"; }
    sleep 0.1
done
for node in a2 b2; do
    for family in ipv4 ipv6; do
        grep -q "\"event\":\"lan-discovery\",\"family\":\"$family\"" "$WORK/$node.log" \
            || { cat "$WORK/$node.log" >&2; die "$node: no $family LAN discovery on a dual-stack link"; }
    done
    ! grep -q "LAN discovery skips" "$WORK/$node.log" || { cat "$WORK/$node.log" >&2; die "$node skipped a family"; }
done
log "dht lan ipv6: on a dual-stack link both families run and the nodes meet"
