#!/usr/bin/env bash
# The IPv6 lab (needs root; CI runs as root): `scripts/netlab --ipv6` puts two fresh `meshpeer run` agents on
# 2001:db8::/32, each behind a home router that routes IPv6 without NAT and has an RFC 6092 stateful firewall
# (inbound dropped unless a LAN host opened it), with a DHT bootstrap node and a relay on the lab's IPv6 internet.
# b publishes, a finds b by DID over the IPv6 DHT and knocks, 60 messages go each way, and the conversation must go
# direct through both firewalls. A dual-stack cell beside it black-holes IPv6 UDP between its LANs: the direct path
# must come up over IPv4, through a NAT (docs/netlab-agents.md, "IPv6 behind stateful firewalls"). About 15 s.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
    log "netlab IPv6 SKIPPED: it needs root (network namespaces); CI runs it as root"
    exit 0
fi
if [ -z "${MESHPEER:-}" ]; then
    build_products meshpeer
    # A copy, so another build replacing the binary cannot end the lab's processes ("Text file busy" for the build).
    bin="$(mktemp -d)"
    cp "$ROOT/.build/debug/meshpeer" "$bin/meshpeer"
    export MESHPEER="$bin/meshpeer"
fi
out="$(mktemp)"
trap 'rm -f "$out"; [ -n "${bin:-}" ] && rm -rf "$bin"' EXIT
status=0
timeout 240 "$ROOT/scripts/netlab" --ipv6 | tee "$out" || status=$?
# Each cell's line is checked here by name as well as by the lab's own exit status, so a failure says which broke.
grep '^{"scenario"' "$out" | python3 -c '
import json, sys
lines = {m["scenario"]: m for m in map(json.loads, sys.stdin)}
assert sorted(lines) == ["dual-stack-v6-blackholed", "ipv6-firewalls"], sorted(lines)
for name, m in lines.items():
    assert not m.get("error"), (name, m.get("error"))
    assert m["dht_found"] is True, (name, "a did not find b over the IPv6 DHT")
    assert m["messages_sent"] > 0 and m["delivered_once"] == m["messages_sent"], (name, "lost", m)
    assert m["duplicates_shown"] == 0 and m["forged_shown"] == 0 and m["in_order"] is True, (name, m)
    assert m["direct"] is True, (name, "no direct path through the firewalls", m.get("paths"), m.get("firewall"))
    assert all(m["paths"][k].get("direct", 0) > 0 for k in ("a_to_b", "b_to_a")), (name, m["paths"])
    assert isinstance(m["firewall_dropped_inbound"], int) and m["firewall_dropped_inbound"] >= 0, (name, m)
    assert all(v > 0 for v in m["firewall"]["inbound_udp_established"].values()), (name, m["firewall"])
    assert m["ok"] and all(m["checks"].values()), (name, m["checks"])
    print(name, {k: m[k] for k in ("messages_sent", "delivered_once", "duplicates_shown", "in_order", "direct",
                                   "selected_family", "time_to_direct_ms", "time_to_direct_node_ms",
                                   "firewall_dropped_inbound", "paths", "elapsed_s")})
# Through the firewalls the pair is IPv6; where IPv6 UDP between the LANs is black-holed, IPv4 (through a NAT),
# after IPv6 checks were tried and dropped.
assert lines["ipv6-firewalls"]["selected_family"] == ["ipv6"], lines["ipv6-firewalls"]["selected"]
# nat-check from behind the firewall: no NAT (the address is its own), but only peers it sent to get in.
nat = lines["ipv6-firewalls"]["nat_check_a"]
assert nat.get("class") == "firewalled" and nat.get("certainty") == "full", nat
dual = lines["dual-stack-v6-blackholed"]
assert dual["selected_family"] == ["ipv4"] and dual["firewall"]["v6_blackholed_stun"] > 0, (dual["selected"], dual["firewall"])'
[ "$status" -eq 0 ] || die "scripts/netlab --ipv6 exited with $status"
