#!/usr/bin/env bash
# netlab-agents.sh PREFIX WORKDIR MESHPEER: real `meshpeer run` agents in every cell of the lab (run by
# `scripts/netlab --agents`, which owns the lab's namespaces; the namespaces and processes made here are removed here,
# also on failure). docs/netlab-agents.md explains what is measured and how.
#
# On the lab's internet: a DHT bootstrap node (`meshpeer dht serve`, 203.0.113.4:4646; it answers STUN on that port)
# and a relay (`meshpeer relay`, ws://203.0.113.5:7400, with its own DHT node). In every cell (the 21 pairs of
# topologies and the 7 same-topology cells, whose second host sits behind the same NAT router) two fresh agents
# knock, exchange 100 messages each way and move 10 MiB one way (64 messages of 160 KiB, checked by SHA-256), and
# the receivers' audit logs say which path carried each message. Then a conversation has its direct path cut at a
# NAT (nftables drops the host's UDP) and must go on through the relay with nothing lost, and upgrade again once
# the path returns.
#
# Prints the JSON report as the last stdout line; exits 1 if a message was lost or duplicated anywhere, a cell the
# ICE lab punches stayed on the relay, or the cut scenario failed.
#
# NETLAB_AGENT_PAIRS="a:b c:d" runs only those cells; NETLAB_AGENT_JOBS (default 4) cells at once;
# NETLAB_AGENT_CUT=0 skips the cut scenario; NETLAB_AGENT_BULK bytes per cell (default 10485760);
# NETLAB_AGENT_MESSAGES per direction (default 100); NETLAB_KEEP_AGENTS=DIR keeps every agent's files and logs.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/netlab-agent.sh"
P="$1" work="$2" meshpeer="$3"
driver="$ROOT/scripts/lib/netlab-agents.py"
work="$work/agents"
mkdir -p "$work"

topologies=(open full-cone port-restricted symmetric udp-blocked double-nat upnp)
declare -A hostns=([open]=h-open [full-cone]=h-full [port-restricted]=h-prc [symmetric]=h-sym
    [udp-blocked]=h-blk [double-nat]=h-dbl [upnp]=h-upnp)
declare -A hostip=([open]=203.0.113.10 [full-cone]=192.0.2.2 [port-restricted]=192.0.2.18 [symmetric]=192.0.2.34
    [udp-blocked]=192.0.2.50 [double-nat]=198.51.100.18 [upnp]=192.0.2.66)
# The second host of each topology (same-topology cells), behind the same router on a LAN of its own (routed by it).
declare -A host2ns=([open]=h-open2 [full-cone]=h-full2 [port-restricted]=h-prc2 [symmetric]=h-sym2
    [udp-blocked]=h-blk2 [double-nat]=h-dbl2 [upnp]=h-upnp2)
declare -A host2ip=([open]=203.0.113.11 [full-cone]=192.0.2.130 [port-restricted]=192.0.2.146
    [symmetric]=192.0.2.162 [udp-blocked]=192.0.2.178 [double-nat]=198.51.100.34 [upnp]=192.0.2.194)
BOOTSTRAP=203.0.113.4:4646
RELAY=ws://203.0.113.5:7400
# Two STUN servers (both DHT nodes answer STUN on their DHT port): with one, gathering cannot see that a NAT maps per
# destination, so an offer carries no NAT hint and port prediction (symmetric <-> port-restricted) never runs.
RELAY_DHT=203.0.113.5:4646

PIDS=()
MY_NAMESPACES=()
# stop_lab (netlab-agent.sh) stops only what this run started: the agents and drivers whose pid files are under
# this run's work directory (each cell stops its own; this is the backstop), the servers, the namespaces.
cleanup() {
    stop_lab
    in_ns r-prc nft delete table inet agentcut 2>/dev/null || true
}
trap cleanup EXIT
# A signal ends the run (the EXIT trap then cleans up); a trap that returned would let the pool go on starting cells.
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { local n="$1"; shift; ip netns exec "$P-$n" "$@"; }

# ------------------------------------------------------------------ second hosts behind the same routers
# host2 ROUTER NAME ROUTERADDR HOSTADDR: a LAN of its own from ROUTER's l-NAME to a new host namespace (a /28).
host2() {
    local router="$1" name="$2" raddr="$3" haddr="$4"
    ip netns add "$P-$name"
    MY_NAMESPACES+=("$P-$name")
    in_ns "$name" ip link set lo up
    ip -n "$P-$router" link add "l-$name" type veth peer name eth0 netns "$P-$name"
    in_ns "$router" ip addr add "$raddr/28" dev "l-$name"
    in_ns "$router" ip link set "l-$name" up
    in_ns "$name" ip addr add "$haddr/28" dev eth0
    in_ns "$name" ip link set eth0 up
    in_ns "$name" ip route add default via "$raddr"
}
# The open topology's second host: on the internet bridge like the first.
ip netns add "$P-h-open2"
MY_NAMESPACES+=("$P-h-open2")
in_ns h-open2 ip link set lo up
ip -n "$P-h-open2" link add wan0 type veth peer name p11 netns "$P-inet"
in_ns inet ip link set p11 master br0 up
in_ns h-open2 ip addr add 203.0.113.11/24 dev wan0
in_ns h-open2 ip link set wan0 up
in_ns h-open2 ip route add default via 203.0.113.1
host2 r-full h-full2 192.0.2.129 192.0.2.130
host2 r-prc h-prc2 192.0.2.145 192.0.2.146
host2 r-sym h-sym2 192.0.2.161 192.0.2.162
host2 r-blk h-blk2 192.0.2.177 192.0.2.178
host2 r-dbl2 h-dbl2 198.51.100.33 198.51.100.34
host2 r-upnp h-upnp2 192.0.2.193 192.0.2.194
# The cut scenario's host, behind the port-restricted router (its UDP alone is dropped, so the cells go on).
host2 r-prc h-cut 192.0.2.225 192.0.2.226
# Full cone: the router forwards 40000-40999 to the first host and (here) 41000-41999 to the second. An agent cannot
# choose its ICE port, so each host's ephemeral range is narrowed to its forwarded range (a per-namespace sysctl).
in_ns r-full nft add rule ip cone cone_pre iifname wan0 udp dport 41000-41999 dnat to 192.0.2.130
in_ns h-full sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
in_ns h-full2 sysctl -qw net.ipv4.ip_local_port_range="41000 41999"
# miniupnpd's forward chain drops what it does not know (policy drop): the second host's LAN is let out like lan0's.
in_ns r-upnp nft add rule inet filter forward iifname l-h-upnp2 oifname wan0 accept
in_ns r-upnp nft add rule inet filter forward iifname '{ "lan0", "l-h-upnp2" }' oifname '{ "lan0", "l-h-upnp2" }' accept
# UDP blocked, except to the lab's two DHT nodes: `meshpeer run` finds and publishes records only over the DHT, which
# is UDP, so behind a complete block an agent can neither publish its record nor find a peer's and no knock is
# possible (docs/netlab-agents.md). The exception lets the cells test what they are for: the conversation on the
# relay. ICE still has no path (its checks to the peer are dropped); only STUN to the DHT nodes answers.
if [ "${NETLAB_AGENT_STRICT_UDP_BLOCK:-0}" = 0 ]; then
    for dht in 203.0.113.4 203.0.113.5; do
        in_ns r-blk nft insert rule inet filter block_udp ip daddr "$dht" udp dport 4646 accept
        in_ns r-blk nft insert rule inet filter block_udp ip saddr "$dht" udp sport 4646 accept
    done
fi

# ------------------------------------------------------------------ bootstrap node and relay on the internet
in_ns inet ip addr add 203.0.113.4/24 dev br0
in_ns inet ip addr add 203.0.113.5/24 dev br0
start_services inet 203.0.113.5:7400
log "agents lab: bootstrap node $BOOTSTRAP, relay $RELAY"

# ------------------------------------------------------------------ agents
# start_agent DIR NS HOSTIP: `meshpeer init` and `meshpeer run` (bounded by timeout) in namespace NS; waits for the
# ready line. The agent's pid goes to DIR/pid.
start_agent() {
    local dir="$1" ns="$2" ip="$3"
    agent_files "$dir" "$ip" auto "netlab agent" || return 1
    ip netns exec "$P-$ns" timeout "${NETLAB_AGENT_LIFETIME:-600}" "$meshpeer" run --home "$dir" --json \
        --log-level "${NETLAB_AGENT_LOG_LEVEL:-info}" >"$dir/run.out" 2>"$dir/run.log" &
    echo $! >"$dir/pid"
    agent_ready "$dir" "$ns"
}

# run_cell INDEX A B: two agents, the conversation, the cell's JSON line in $work/cell-INDEX/result.json.
run_cell() {
    local n="$1" a="$2" b="$3" dir="$work/cell-$1"
    local nsa="${hostns[$a]}" ipa="${hostip[$a]}" nsb="${hostns[$b]}" ipb="${hostip[$b]}"
    if [ "$a" = "$b" ]; then nsb="${host2ns[$b]}" ipb="${host2ip[$b]}"; fi
    mkdir -p "$dir"
    if start_agent "$dir/a" "$nsa" "$ipa" && start_agent "$dir/b" "$nsb" "$ipb"; then
        timeout 300 python3 "$driver" cell --a "$P-$nsa:$dir/a" --b "$P-$nsb:$dir/b" --label-a "$a" --label-b "$b" \
            --messages "${NETLAB_AGENT_MESSAGES:-100}" --bulk-bytes "${NETLAB_AGENT_BULK:-10485760}" \
            >"$dir/result.json" 2>"$dir/driver.log" &
        echo $! >"$dir/driver.pid"
        wait "$(cat "$dir/driver.pid")" || true
    fi
    stop_agent "$dir/a"
    stop_agent "$dir/b"
    [ -s "$dir/result.json" ] \
        || echo "{\"a\":\"$a\",\"b\":\"$b\",\"path\":\"none\",\"delivered\":0,\"sent\":0,\"error\":\"no result\"}" \
            >"$dir/result.json"
}

# The cut scenario: an agent behind the port-restricted router (h-cut) and one on the open host. Once their
# conversation is direct, r-prc drops every UDP datagram of h-cut except the DHT's (bootstrap node and relay);
# messages sent then must arrive through the relay; after the path returns the conversation must upgrade again.
run_cut() {
    local dir="$work/cut"
    mkdir -p "$dir"
    if start_agent "$dir/a" h-cut 192.0.2.226 && start_agent "$dir/b" h-open 203.0.113.10; then
        timeout 300 python3 "$driver" cut --a "$P-h-cut:$dir/a" --b "$P-h-open:$dir/b" \
            --cut "ip netns exec $P-r-prc nft -f $dir/cut.nft" \
            --restore "ip netns exec $P-r-prc nft delete table inet agentcut" \
            >"$dir/result.json" 2>"$dir/driver.log" &
        echo $! >"$dir/driver.pid"
        wait "$(cat "$dir/driver.pid")" || true
    fi
    stop_agent "$dir/a"
    stop_agent "$dir/b"
    [ -s "$dir/result.json" ] || echo '{"ok":false,"error":"no result"}' >"$dir/result.json"
}
mkdir -p "$work/cut"
cat >"$work/cut/cut.nft" <<'EOF'
table inet agentcut {
    chain cut_forward {
        type filter hook forward priority -10;
        ip saddr 192.0.2.226 meta l4proto udp ip daddr != { 203.0.113.4, 203.0.113.5 } drop
        ip daddr 192.0.2.226 meta l4proto udp ip saddr != { 203.0.113.4, 203.0.113.5 } drop
    }
}
EOF

pairs=()
for ((i = 0; i < ${#topologies[@]}; i++)); do
    for ((j = i; j < ${#topologies[@]}; j++)); do pairs+=("${topologies[$i]} ${topologies[$j]}"); done
done
if [ -n "${NETLAB_AGENT_PAIRS:-}" ]; then
    pairs=()
    for pair in $NETLAB_AGENT_PAIRS; do pairs+=("${pair%%:*} ${pair##*:}"); done
fi

started=$SECONDS
cut_pid=""
if [ "${NETLAB_AGENT_CUT:-1}" != 0 ]; then
    run_cut &
    cut_pid=$!
    PIDS+=("$cut_pid")
fi
# A pool of NETLAB_AGENT_JOBS cells at once (each holds two agents): a slow cell does not hold up the others.
jobs_max="${NETLAB_AGENT_JOBS:-4}"
limit=$jobs_max
[ -n "$cut_pid" ] && limit=$((jobs_max + 1))  # the cut scenario runs beside the cells, mostly waiting
running=()
for ((m = 0; m < ${#pairs[@]}; m++)); do
    while [ "$(jobs -rp | wc -l)" -ge "$limit" ]; do wait -n 2>/dev/null || true; done
    run_cell "$m" ${pairs[$m]} &
    running+=($!)
    PIDS+=($!)
done
for pid in "${running[@]}"; do wait "$pid" 2>/dev/null || true; done
[ -n "$cut_pid" ] && { wait "$cut_pid" 2>/dev/null || true; }
elapsed=$((SECONDS - started))

if [ -n "${NETLAB_KEEP_AGENTS:-}" ]; then
    mkdir -p "$NETLAB_KEEP_AGENTS"
    cp -r "$work"/cell-* "$work"/cut "$work"/*.log "$work"/*.out "$NETLAB_KEEP_AGENTS/" 2>/dev/null || true
fi

# The report: the cells, the rates, and a verdict per target (the ICE lab's direct cells must be direct here).
cut_file="$work/cut/result.json"
[ -n "$cut_pid" ] || cut_file=""
python3 "$driver" report --elapsed "$elapsed" --cut "${cut_file:-none}" "$work"/cell-*/result.json
