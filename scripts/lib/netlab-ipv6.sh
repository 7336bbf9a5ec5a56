#!/usr/bin/env bash
# netlab-ipv6.sh PREFIX WORKDIR MESHPEER: two `meshpeer run` agents on IPv6, each behind a home router's stateful
# firewall (run by `scripts/netlab --ipv6`; every namespace and process made here is removed here, also on failure).
# docs/netlab-agents.md ("IPv6 behind stateful firewalls") says what is promised and what was measured.
#
# Addresses from 2001:db8::/32 only, each added with `nodad` (no duplicate address detection delay):
#   internet  2001:db8:0:1::/64, a bridge in namespace PREFIX-i6 (::1, which routes the LANs), a DHT bootstrap node
#             at [2001:db8:0:1::4]:4646 (it answers STUN) and a relay at ws://[2001:db8:0:1::5]:7400 (`lab: true`,
#             its DHT node at [2001:db8:0:1::5]:4646)
#   r6a, r6b  home routers: WAN ::a and ::b on the internet, LANs 2001:db8:a::/64 and 2001:db8:b::/64, IPv6
#             forwarding, no NAT (IPv6 is routed), and the forward chain of an RFC 6092 firewall: established and
#             related accepted, new from the LAN out accepted, new from the WAN dropped and counted
#             (`counter inbound_dropped`)
#   h6a, h6b  one agent host in each LAN (2001:db8:a::2, 2001:db8:b::2)
#
# b publishes; a finds b by DID over the IPv6 DHT, knocks, b accepts; messages go both ways while the path upgrades
# to direct through both firewalls (cell `ipv6-firewalls`).
#
# Beside it, cell `dual-stack-v6-blackholed`: routers r4c and r4d (WAN ::c and ::d, 203.0.113.12 and .13 on the same
# bridge, which also carries 203.0.113.0/24) with LANs 2001:db8:c::/64 + 192.0.2.0/28 and 2001:db8:d::/64 +
# 198.51.100.0/28, the same IPv6 firewall plus an IPv4 NAT (masquerade: a port-restricted cone), and a rule on both
# that drops every IPv6 UDP datagram between the two LANs (`counter v6_blackholed`, of it STUN: `v6_blackholed_stun`). The DHT and the relay still work
# over IPv6; the direct path must come up over IPv4 (STUN on 203.0.113.2 and .3), though the IPv6 host candidates
# are checked first (Sources/ICE/Candidates/HostPreference.swift).
#
# Cell `ipv4-nat-baseline` (not run by default; NETLAB_IPV6_CELLS="... ipv4-nat-baseline"): the dual-stack cell's
# topology again (routers r4e and r4f, LANs 2001:db8:e::/64 + 192.0.2.16/28 and 2001:db8:f::/64 + 198.51.100.16/28)
# with ICE host candidates on IPv4 only: the time to direct without IPv6 checks to fail, to compare with.
#
# Prints one JSON line per cell (stdout) and exits 1 if a promise is broken.
# NETLAB_IPV6_MESSAGES per direction (default 50); NETLAB_IPV6_CELLS (default "ipv6-firewalls dual-stack-v6-blackholed");
# NETLAB_KEEP_AGENTS=DIR keeps every file and log.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/netlab-agent.sh"
P="$1" work="$2" meshpeer="$3"
driver="$ROOT/scripts/lib/netlab-ipv6.py"
work="$work/ipv6"
mkdir -p "$work"
ensure_packages iproute2 nftables conntrack python3 iputils-ping

NET=2001:db8:0:1
BOOTSTRAP="[$NET::4]:4646"
RELAY="ws://[$NET::5]:7400"
RELAY_DHT="[$NET::5]:4646"
HOST_A=2001:db8:a::2
STUN4=(203.0.113.2:3478 203.0.113.3:3478)
cells=(${NETLAB_IPV6_CELLS:-ipv6-firewalls dual-stack-v6-blackholed})

PIDS=()
MY_NAMESPACES=()
trap stop_lab EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { local n="$1"; shift; ip netns exec "$P-$n" "$@"; }
# mkns NAME: a namespace whose interfaces skip duplicate address detection (set before any interface exists there).
mkns() {
    ip netns add "$P-$1"
    MY_NAMESPACES+=("$P-$1")
    in_ns "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    in_ns "$1" ip link set lo up
}
addr6() { in_ns "$1" ip -6 addr add "$2" dev "$3" nodad; } # NS ADDR/LEN DEV

# ------------------------------------------------------------------ the internet
mkns i6
in_ns i6 ip link add br0 type bridge
in_ns i6 ip link set br0 up
for a in 1 2 3 4 5; do addr6 i6 "$NET::$a/64" br0; done
in_ns i6 sysctl -qw net.ipv6.conf.all.forwarding=1
# The dual-stack cell's IPv4 internet: the same bridge (STUN servers on .2 and .3).
for a in 1 2 3; do in_ns i6 ip addr add "203.0.113.$a/24" dev br0; done

# ------------------------------------------------------------------ home routers and their hosts
# router NAME WAN LAN HOST [WAN4 LAN4]: WAN 2001:db8:0:1::WAN on the internet, LAN 2001:db8:LAN::/64 (router ::1,
# host ::2). With WAN4 and LAN4 (the base of a /28, e.g. 192.0.2.0), also IPv4: WAN 203.0.113.WAN4, LAN base+1
# (router) and base+2 (host), and a NAT. Every router drops IPv6 UDP between the dual-stack LANs (c and d).
router() {
    local name="$1" wan="$2" lan="$3" host="$4" wan4="${5:-}" lan4="${6:-}"
    mkns "$name"
    mkns "$host"
    ip -n "$P-$name" link add wan0 type veth peer name "p6$wan" netns "$P-i6"
    in_ns i6 ip link set "p6$wan" master br0 up
    addr6 "$name" "$NET::$wan/64" wan0
    in_ns "$name" ip link set wan0 up
    in_ns "$name" ip -6 route add default via "$NET::1"
    in_ns "$name" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n "$P-$name" link add lan0 type veth peer name eth0 netns "$P-$host"
    addr6 "$name" "2001:db8:$lan::1/64" lan0
    in_ns "$name" ip link set lan0 up
    addr6 "$host" "2001:db8:$lan::2/64" eth0
    in_ns "$host" ip link set eth0 up
    in_ns "$host" ip -6 route add default via "2001:db8:$lan::1"
    in_ns i6 ip -6 route add "2001:db8:$lan::/64" via "$NET::$wan"
    # RFC 6092: outbound opens a pinhole (conntrack), inbound that matches none is dropped. ICMPv6 errors about a
    # flow are `related`. The named counters let the report show what the firewall dropped (of it, STUN messages:
    # the magic cookie at UDP payload offset 4, i.e. ICE checks that came before the pinhole; and the set
    # dropped_from: source, protocol and port of each), and that the direct path's datagrams crossed it.
    in_ns "$name" nft -f - <<EOF
table inet homefw {
    counter inbound_dropped {
    }
    counter inbound_udp_established {
    }
    counter inbound_stun_dropped {
    }
    counter v6_blackholed {
    }
    counter v6_blackholed_stun {
    }
    set dropped_from {
        typeof ip6 saddr . meta l4proto . th dport
        size 64
        flags dynamic
    }
    chain forward {
        type filter hook forward priority 0; policy drop;
        ip6 saddr { 2001:db8:c::/64, 2001:db8:d::/64 } ip6 daddr { 2001:db8:c::/64, 2001:db8:d::/64 } meta l4proto udp @th,96,32 0x2112a442 counter name v6_blackholed_stun counter name v6_blackholed drop
        ip6 saddr { 2001:db8:c::/64, 2001:db8:d::/64 } ip6 daddr { 2001:db8:c::/64, 2001:db8:d::/64 } meta l4proto udp counter name v6_blackholed drop
        iifname "wan0" meta l4proto udp ct state established counter name inbound_udp_established accept
        ct state established,related accept
        ct state invalid drop
        iifname "lan0" oifname "wan0" accept
        iifname "wan0" meta nfproto ipv6 add @dropped_from { ip6 saddr . meta l4proto . th dport }
        iifname "wan0" meta l4proto udp @th,96,32 0x2112a442 counter name inbound_stun_dropped counter name inbound_dropped drop
        iifname "wan0" counter name inbound_dropped drop
    }
}
EOF
    [ -n "$wan4" ] || return 0
    local base="${lan4%.*}" last="${lan4##*.}"
    in_ns "$name" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$name" ip addr add "203.0.113.$wan4/24" dev wan0
    in_ns "$name" ip route add default via 203.0.113.1
    in_ns "$name" ip addr add "$base.$((last + 1))/28" dev lan0
    in_ns "$host" ip addr add "$base.$((last + 2))/28" dev eth0
    in_ns "$host" ip route add default via "$base.$((last + 1))"
    # The NAT and the WAN input firewall of scripts/netlab's routers (an unsolicited packet to the router's own WAN
    # port would otherwise take the port a LAN host's mapping needs; docs/ice.md, "The lab").
    in_ns "$name" nft -f - <<EOF
table ip nat {
    chain nat_post {
        type nat hook postrouting priority 100;
        oifname "wan0" masquerade
    }
}
table ip wanfw {
    chain wan_input {
        type filter hook input priority 0;
        iifname "wan0" ct state new drop
    }
}
EOF
}
for cell in "${cells[@]}"; do
    case "$cell" in
    ipv6-firewalls) router r6a a a h6a && router r6b b b h6b ;;
    dual-stack-v6-blackholed) router r4c c c h4c 12 192.0.2.0 && router r4d d d h4d 13 198.51.100.0 ;;
    ipv4-nat-baseline) router r4e e e h4e 14 192.0.2.16 && router r4f f f h4f 15 198.51.100.16 ;;
    *) die "unknown cell $cell" ;;
    esac
done

# The first address of each LAN must answer from the other LAN before the agents start (bounded: 10 s).
reachable() {
    local tries
    for tries in $(seq 1 50); do
        in_ns "$1" ping -6 -c1 -W1 "$2" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
for host in h6a h6b h4c h4d h4e h4f; do
    [ -e "/run/netns/$P-$host" ] || continue
    reachable "$host" "$NET::4" || die "IPv6 lab: $host cannot reach the internet ($NET::4)"
done
# An unsolicited ping from the internet to a LAN host must be dropped by its router's firewall.
if [ -e "/run/netns/$P-h6a" ] && in_ns i6 ping -6 -c1 -W1 "$HOST_A" >/dev/null 2>&1; then
    die "IPv6 lab: r6a's firewall let a new inbound ping in"
fi

# ------------------------------------------------------------------ bootstrap node and relay on the internet
start_services i6 "[$NET::5]:7400"
log "IPv6 lab: bootstrap node $BOOTSTRAP, relay $RELAY, cells: ${cells[*]}"
# What `meshpeer nat-check` makes of a home firewall on IPv6 (`firewalled`, checked by scripts/test.d/54: a stateful
# firewall without NAT maps nothing, and its filtering is what a port-restricted cone's is). A STUN server with an alternate address
# (RFC 5780, [::2]:3478 and [::3]:3479) lets it measure the filtering.
ip netns exec "$P-i6" "$meshpeer" stun-server --listen "[$NET::2]:3478" --alternate "[$NET::3]:3479" \
    >"$work/stun.log" 2>&1 &
PIDS+=($!)
# The dual-stack cell's IPv4 STUN servers (two, so gathering can see whether a NAT maps per destination).
for stun in "${STUN4[@]}"; do
    ip netns exec "$P-i6" "$meshpeer" stun-server --listen "$stun" >"$work/stun-$stun.log" 2>&1 &
    PIDS+=($!)
done
wait_for "$work/stun.log" listening 30
for stun in "${STUN4[@]}"; do wait_for "$work/stun-$stun.log" listening 30; done
if [ -e "/run/netns/$P-h6a" ]; then
    in_ns h6a timeout 30 "$meshpeer" nat-check --stun "[$NET::2]:3478" --stun "$BOOTSTRAP" --bind "[$HOST_A]:0" \
        --json >"$work/nat-check.json" 2>"$work/nat-check.err" \
        || log "nat-check on IPv6 failed: $(cat "$work/nat-check.err")"
fi

# ------------------------------------------------------------------ agents
# start_agent DIR NS HOST6 [HOST4 [v4only]]: config.json as the agents lab writes it, with bracketed IPv6 literals;
# with HOST4 the agent binds ICE host candidates on both families (on IPv4 only with v4only) and has IPv4 STUN
# servers too (its DHT is IPv6 only).
start_agent() {
    local dir="$1" ns="$2" ip6="$3" ip4="${4:-}" hosts="\"[$3]\", \"${4:-}\""
    [ "${5:-}" = v4only ] && hosts="\"$ip4\""
    agent_files "$dir" "[$ip6]" auto "netlab IPv6 agent" || return 1
    if [ -n "$ip4" ]; then
        cat >"$dir/config.json" <<EOF
{"dht": {"listen": ["[$ip6]:0"], "bootstrap": ["$BOOTSTRAP"]}, "relays": ["$RELAY"], "homeRelays": 1,
 "republishSeconds": 20, "recordTTLSeconds": 120,
 "direct": {"mode": "auto", "hosts": [$hosts],
            "stun": ["$BOOTSTRAP", "$RELAY_DHT", "${STUN4[0]}", "${STUN4[1]}"]}}
EOF
    fi
    ip netns exec "$P-$ns" timeout 300 "$meshpeer" run --home "$dir" --json --log-level info \
        >"$dir/run.out" 2>"$dir/run.log" &
    echo $! >"$dir/pid"
    agent_ready "$dir" "$ns"
}

# run_cell NAME: the cell's two agents and the driver; the cell's JSON line in $work/NAME/result.json.
run_cell() {
    local cell="$1" dir="$work/$1" ok=1 nsa nsb routers family
    mkdir -p "$dir"
    case "$cell" in
    ipv6-firewalls)
        nsa=h6a nsb=h6b routers="$P-r6a,$P-r6b" family=ipv6
        start_agent "$dir/a" h6a "$HOST_A" && start_agent "$dir/b" h6b 2001:db8:b::2 || ok=0 ;;
    dual-stack-v6-blackholed)
        nsa=h4c nsb=h4d routers="$P-r4c,$P-r4d" family=ipv4
        start_agent "$dir/a" h4c 2001:db8:c::2 192.0.2.2 && start_agent "$dir/b" h4d 2001:db8:d::2 198.51.100.2 \
            || ok=0 ;;
    ipv4-nat-baseline)
        nsa=h4e nsb=h4f routers="$P-r4e,$P-r4f" family=ipv4
        start_agent "$dir/a" h4e 2001:db8:e::2 192.0.2.18 v4only \
            && start_agent "$dir/b" h4f 2001:db8:f::2 198.51.100.18 v4only || ok=0 ;;
    esac
    if [ "$ok" -eq 1 ]; then
        drive_cell "$dir" 150 scenario --name "$cell" --a "$P-$nsa:$dir/a" --b "$P-$nsb:$dir/b" \
            --routers "$routers" --family "$family" --messages "${NETLAB_IPV6_MESSAGES:-50}"
    fi
    finish_cell "$cell" "$dir"
}

started=$SECONDS
side_by_side run_cell "${cells[@]}"
elapsed=$((SECONDS - started))
for cell in "${cells[@]}"; do cat "$work/$cell/driver.log" >&2 2>/dev/null || true; done
if [ -n "${NETLAB_KEEP_AGENTS:-}" ]; then
    mkdir -p "$NETLAB_KEEP_AGENTS"
    cp -r "$work"/* "$NETLAB_KEEP_AGENTS/" 2>/dev/null || true
fi
results=()
for cell in "${cells[@]}"; do results+=("$work/$cell/result.json"); done
python3 "$driver" report --elapsed "$elapsed" --nat-check "$work/nat-check.json" "${results[@]}"
