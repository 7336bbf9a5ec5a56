#!/usr/bin/env bash
# netlab-onpath.sh PREFIX WORKDIR MESHPEER: an on-path attacker between two NATed `meshpeer run` agents (run by
# `scripts/netlab --onpath`, which owns the lab's internet namespace PREFIX-inet; the namespaces and processes made
# here are removed here, also on failure). docs/netlab-agents.md ("An on-path attacker") says what is promised.
#
# On the lab's internet: a DHT bootstrap node (203.0.113.6:4646, it answers STUN) and a relay with its built-in TLS
# (wss://203.0.113.7:7443, a certificate from a lab CA made here with openssl; its DHT node at 203.0.113.7:4646).
# Two port-restricted cone routers (r-oa, WAN 203.0.113.81; r-ob, WAN 203.0.113.82), and behind them one pair of
# hosts per scenario (a_N behind r-oa on 198.51.100.(64+16N)/28, b_N behind r-ob on 198.51.100.(128+16N)/28). Every
# agent trusts only the lab CA: its process sees the CA file at the system's trust-store path (a bind mount in its
# own mount namespace; the host's trust store is not touched).
#
# The scenarios run side by side, each on its own pair (the attacker sits on r-oa):
#   rewrite  nftables rewrites 4 bytes inside every direct-path UDP payload, both ways (`@th,304,32 set ...`)
#   drop     nftables drops every direct-path datagram (the cut of netlab-agents.sh, on this pair)
#   replay   an AF_PACKET socket on r-oa captures what b sends a over the direct path, and sends it again 5 s later
#   tls      the relay's TCP port is DNATed to the attacker's listener on r-oa: plaintext first, then TLS with a
#            certificate from another CA; then the attacker goes away
# Prints one JSON line per scenario (stdout) and exits 1 if a promise is broken (netlab-onpath.py checks them).
#
# NETLAB_ONPATH_SCENARIOS="rewrite replay" runs only those; NETLAB_KEEP_AGENTS=DIR keeps every file and log.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/netlab-agent.sh"
P="$1" work="$2" meshpeer="$3"
driver="$ROOT/scripts/lib/netlab-onpath.py"
work="$work/onpath"
mkdir -p "$work"
ensure_packages iproute2 nftables conntrack openssl python3

BOOTSTRAP=203.0.113.6:4646
RELAY_IP=203.0.113.7
RELAY_PORT=7443
RELAY="wss://$RELAY_IP:$RELAY_PORT"
RELAY_DHT=$RELAY_IP:4646
scenarios=(${NETLAB_ONPATH_SCENARIOS:-rewrite drop replay tls})

PIDS=()
MY_NAMESPACES=()
cleanup() {
    stop_lab
    ip netns exec "$P-inet" ip addr del "${BOOTSTRAP%:*}/24" dev br0 2>/dev/null || true
    ip netns exec "$P-inet" ip addr del "$RELAY_IP/24" dev br0 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { local n="$1"; shift; ip netns exec "$P-$n" "$@"; }
mkns() { ip netns add "$P-$1"; MY_NAMESPACES+=("$P-$1"); in_ns "$1" ip link set lo up; }

# ------------------------------------------------------------------ certificates: the lab CA and another CA
pki="$work/pki"
mkdir -p "$pki"
make_ca() { # NAME
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=netlab $1 CA" \
        -keyout "$pki/$1-ca.key" -out "$pki/$1-ca.pem" 2>/dev/null
}
make_cert() { # CA NAME: a server certificate for the relay's address, signed by CA
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$RELAY_IP" -keyout "$pki/$2.key" -out "$pki/$2.csr" 2>/dev/null
    printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$RELAY_IP" >"$pki/$2.ext"
    openssl x509 -req -in "$pki/$2.csr" -CA "$pki/$1-ca.pem" -CAkey "$pki/$1-ca.key" -CAcreateserial -days 2 \
        -extfile "$pki/$2.ext" -out "$pki/$2.pem" 2>/dev/null
}
make_ca lab
make_ca other
make_cert lab relay
make_cert other attacker
chmod 600 "$pki"/*.key

# ------------------------------------------------------------------ two routers, a pair of hosts per scenario
router() { # NAME WANADDR PORT: a port-restricted cone (masquerade) with the WAN input firewall of scripts/netlab
    local name="$1" addr="$2" port="$3"
    mkns "$name"
    ip -n "$P-$name" link add wan0 type veth peer name "$port" netns "$P-inet"
    in_ns inet ip link set "$port" master br0 up
    in_ns "$name" ip addr add "$addr/24" dev wan0
    in_ns "$name" ip link set wan0 up
    in_ns "$name" ip route add default via 203.0.113.1
    in_ns "$name" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$name" nft -f - <<EOF
table ip nat {
    chain nat_post {
        type nat hook postrouting priority 100;
        oifname "wan0" masquerade
    }
}
table inet wanfw {
    chain wan_input {
        type filter hook input priority 0;
        iifname "wan0" ct state new drop
    }
}
EOF
}
host() { # ROUTER NAME ROUTERADDR HOSTADDR: a /28 LAN of its own from ROUTER's l-NAME
    local router="$1" name="$2" raddr="$3" haddr="$4"
    mkns "$name"
    ip -n "$P-$router" link add "l-$name" type veth peer name eth0 netns "$P-$name"
    in_ns "$router" ip addr add "$raddr/28" dev "l-$name"
    in_ns "$router" ip link set "l-$name" up
    in_ns "$name" ip addr add "$haddr/28" dev eth0
    in_ns "$name" ip link set eth0 up
    in_ns "$name" ip route add default via "$raddr"
}
router r-oa 203.0.113.81 po81
router r-ob 203.0.113.82 po82
declare -A ipa ipb rtra
for ((n = 0; n < ${#scenarios[@]}; n++)); do
    s="${scenarios[$n]}"
    rtra[$s]="198.51.100.$((65 + 16 * n))"
    ipa[$s]="198.51.100.$((66 + 16 * n))"
    ipb[$s]="198.51.100.$((130 + 16 * n))"
    host r-oa "oa-$s" "${rtra[$s]}" "${ipa[$s]}"
    host r-ob "ob-$s" "198.51.100.$((129 + 16 * n))" "${ipb[$s]}"
done

# ------------------------------------------------------------------ bootstrap node and TLS relay on the internet
in_ns inet ip addr add "${BOOTSTRAP%:*}/24" dev br0 2>/dev/null || true
in_ns inet ip addr add "$RELAY_IP/24" dev br0 2>/dev/null || true
start_services inet "$RELAY_IP:$RELAY_PORT" \
    "\"tls\": {\"certificateChain\": \"$pki/relay.pem\", \"privateKey\": \"$pki/relay.key\"},"
log "on-path lab: bootstrap node $BOOTSTRAP, relay $RELAY (lab CA), routers r-oa and r-ob"

# ------------------------------------------------------------------ agents
# start_agent DIR NS HOSTIP MODE: `meshpeer init` and `meshpeer run` in namespace NS, trusting the lab CA only.
start_agent() {
    local dir="$1" ns="$2" ip="$3" mode="$4"
    agent_files "$dir" "$ip" "$mode" "netlab on-path agent" || return 1
    # `ip netns exec` gives the command a mount namespace of its own: the bind mount is seen by this agent only.
    ip netns exec "$P-$ns" sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec "$@"' sh \
        "$pki/lab-ca.pem" timeout 300 "$meshpeer" run --home "$dir" --json --log-level info \
        >"$dir/run.out" 2>"$dir/run.log" &
    echo $! >"$dir/pid"
    agent_ready "$dir" "$ns"
}

run_scenario() { # NAME
    local s="$1" dir="$work/$1" mode=auto
    mkdir -p "$dir"
    # The TLS scenario is about the relay path alone: its agents never go direct.
    [ "$s" = tls ] && mode=relay
    if start_agent "$dir/a" "oa-$s" "${ipa[$s]}" "$mode" && start_agent "$dir/b" "ob-$s" "${ipb[$s]}" "$mode"; then
        drive_cell "$dir" 240 scenario --name "$s" --a "$P-oa-$s:$dir/a" --b "$P-ob-$s:$dir/b" \
            --router "$P-r-oa" --host-a "${ipa[$s]}" --router-lan "${rtra[$s]}" --lan-if "l-oa-$s" \
            --protect "${BOOTSTRAP%:*},$RELAY_IP" --relay "$RELAY_IP:$RELAY_PORT" \
            --attacker-cert "$pki/attacker.pem" --attacker-key "$pki/attacker.key" --work "$dir"
    fi
    finish_cell "$s" "$dir"
}

started=$SECONDS
side_by_side run_scenario "${scenarios[@]}"
elapsed=$((SECONDS - started))

if [ -n "${NETLAB_KEEP_AGENTS:-}" ]; then
    mkdir -p "$NETLAB_KEEP_AGENTS"
    cp -r "$work"/* "$NETLAB_KEEP_AGENTS/" 2>/dev/null || true
fi
results=()
for s in "${scenarios[@]}"; do results+=("$work/$s/result.json"); done
python3 "$driver" report --elapsed "$elapsed" "${results[@]}"
