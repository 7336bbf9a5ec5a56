#!/usr/bin/env bash
# An on-path attacker in the network lab (needs root; CI runs as root): `scripts/netlab --onpath` puts two fresh
# `meshpeer run` agents behind two port-restricted NAT routers, with a DHT node and a TLS relay (wss, a lab CA) on
# the lab's internet, and an attacker on one router that rewrites, drops and replays their direct path and strips
# TLS from their relay (docs/netlab-agents.md, "An on-path attacker"). The four scenarios run side by side; about
# 2-3 minutes on a 2-core machine, of which about 40 s are scripts/netlab's own NAT checks.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
    log "netlab on-path attacker skipped: it needs root (network namespaces); CI runs it as root"
    exit 0
fi
build_products meshpeer meshlab
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
timeout 600 "$ROOT/scripts/netlab" --onpath | tee "$out" || status=$?
# Each scenario's line is checked here by name as well as by the lab's own exit status, so a failure says which.
grep '^{"scenario"' "$out" | python3 -c '
import json, sys
lines = {m["scenario"]: m for m in map(json.loads, sys.stdin)}
assert sorted(lines) == ["drop", "replay", "rewrite", "tls"], sorted(lines)
for name, m in lines.items():
    assert not m.get("error"), (name, m.get("error"))
    assert m["messages_sent"] > 0 and m["delivered_once"] == m["messages_sent"], (name, "lost", m)
    assert m["duplicates_shown"] == 0 and m["forged_shown"] == 0 and m["in_order"], (name, m)
    assert m["plaintext_leaks"] == 0, (name, "in clear", m)
    assert 0 < m["max_rss_mb"] < 512, (name, m["max_rss_mb"])
    assert m["ok"] and all(m["checks"].values()), (name, m["checks"])
rw, dr, rp, tl = lines["rewrite"], lines["drop"], lines["replay"], lines["tls"]
assert rw["forged_refused"] > 0 and rw["paths_b"].get("relay", 0) > 0, rw
part = rw["partial"]  # one datagram in three rewritten: every one refused, and the conversation stayed direct
# (a rewritten STUN consent check fails its integrity check in ICE, not in the channel: hence at most, not equal)
assert 0 < part["forged_refused"] <= part["rewritten"] and part["fallbacks"] == 0, part
assert dr["paths_b"].get("relay", 0) > 0, dr
assert rp["replayed"]["channel"] > 0 and rp["dropped"]["a"]["replayed"] > 0 and rp["fallbacks_after_replay"] == 0, rp
assert tl["attacker"]["plain"] > 0 and tl["attacker"]["other_ca"] > 0 and tl["attacker"]["bytes_not_tls"] == 0, tl
for name in ("rewrite", "drop", "replay", "tls"):
    m = lines[name]
    print(name, {k: m[k] for k in ("messages_sent", "delivered_once", "duplicates_shown", "forged_shown",
                                   "plaintext_leaks", "max_rss_mb", "elapsed_s")})'
[ "$status" -eq 0 ] || die "scripts/netlab --onpath exited with $status"
