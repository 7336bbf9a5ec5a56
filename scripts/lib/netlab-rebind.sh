#!/usr/bin/env bash
# netlab-rebind.sh PREFIX WORKDIR MESHPEER: NAT rebinding in the middle of a direct-channel transfer (run by
# scripts/netlab, which owns the namespaces and their cleanup; logs go to stderr, stdout stays free for the matrix).
#
# h-prc (behind the port-restricted router r-prc) sends NETLAB_REBIND_BYTES to h-open over the encrypted direct
# channel. Once the transfer runs, the router forgets every UDP mapping (conntrack -D) and masquerades into another
# port range, so the flow's next packet leaves from a new external port: what a NAT reboot or a mapping expiry does.
# (Linux would otherwise hand the freed port straight back to the same flow, and nothing would change.) The transfer
# must complete, checked by SHA-256 at both ends, and the receiver must have followed the new address.
# Also reports the router's conntrack UDP timeouts and checks the channel's 15 s keepalive is shorter than both.
source "$(dirname "$0")/common.sh"
P="$1" work="$2" meshpeer="$3"
meshlab="${MESHLAB:-$(dirname "$meshpeer")/meshlab}" # ice-connect is lab-only: it left meshpeer (issue 12)
dir="$work/rebind"
mkdir -p "$dir"
bytes="${NETLAB_REBIND_BYTES:-8388608}"
keepalive=15
router="$P-r-prc"

unreplied="$(ip netns exec "$router" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)"
stream="$(ip netns exec "$router" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream)"
log "rebind: lab NAT UDP timeouts: ${unreplied} s unreplied, ${stream} s once both directions were seen; keepalive ${keepalive} s"
[ "$keepalive" -lt "$unreplied" ] && [ "$keepalive" -lt "$stream" ] || die "keepalive ${keepalive} s does not fit the NAT's UDP timeouts"

# A clean table first: the matrix left ASSURED entries from h-prc to h-open (120 s), which the wait below would
# otherwise take for this transfer's flow.
ip netns exec "$router" conntrack -D -p udp >/dev/null 2>&1 || true

# The router's uplink is shaped to 24 Mbit/s (a home uplink) for this scenario, so the transfer lasts seconds
# however fast the machine: the channel got fast enough that 16 MiB crossed in under 2 s, before the (slow, in a
# namespace) conntrack polling below had even seen the flow, and the flush came after the end.
ip netns exec "$router" tc qdisc replace dev wan0 root tbf rate 24mbit burst 32kb latency 100ms

ip netns exec "$P-h-prc" timeout 100 "$meshlab" ice-connect --role controlling --host 192.0.2.18 \
    --stun 203.0.113.1:3478 --local-out "$dir/a.json" --remote-in "$dir/b.json" --timeout 80 \
    --transfer-bytes "$bytes" >"$dir/a.out" 2>"$dir/a.err" &
pid_a=$!
ip netns exec "$P-h-open" timeout 100 "$meshlab" ice-connect --role controlled --host 203.0.113.10 \
    --stun 203.0.113.1:3478 --local-out "$dir/b.json" --remote-in "$dir/a.json" --timeout 80 \
    --transfer-bytes "$bytes" >"$dir/b.out" 2>"$dir/b.err" &
pid_b=$!

# Flush once the transfer is really under way: conntrack's byte counters (accounting on, in the router only) say
# when the flow has carried 256 KiB of data. A fixed delay raced a fast machine, where the whole transfer
# ended before the flush. Bounded: descriptions within 30 s, the flow's progress within 60 s.
ip netns exec "$router" sysctl -qw net.netfilter.nf_conntrack_acct=1
for _ in $(seq 1 300); do [ -f "$dir/a.json" ] && [ -f "$dir/b.json" ] && break; sleep 0.1; done
threshold=262144  # 256 KiB: well past the ICE checks, early in any transfer worth the name
entry=""
for _ in $(seq 1 1200); do
    entry="$(ip netns exec "$router" conntrack -L -p udp --orig-dst 203.0.113.10 2>/dev/null | grep ASSURED || true)"
    carried="$(echo "$entry" | grep -o 'bytes=[0-9]*' | head -1 | cut -d= -f2 || true)"
    [ "${carried:-0}" -ge "$threshold" ] && break
    kill -0 "$pid_a" 2>/dev/null || break
    sleep 0.05
done
log "rebind: before: $(echo "$entry" | head -1)"
ip netns exec "$router" nft flush chain ip nat nat_post
ip netns exec "$router" nft add rule ip nat nat_post oifname "wan0" meta l4proto udp masquerade to :20000-29999
ip netns exec "$router" conntrack -D -p udp >/dev/null 2>&1 || true
# The flow's next datagram makes the new entry; this only reports it, it decides nothing.
sleep 0.5
log "rebind: after:  $(ip netns exec "$router" conntrack -L -p udp --orig-dst 203.0.113.10 2>/dev/null | head -1)"
wait "$pid_a" "$pid_b" || true

# Back to the plain, unshaped port-restricted NAT for anything that runs later.
ip netns exec "$router" tc qdisc del dev wan0 root 2>/dev/null || true
ip netns exec "$router" nft flush chain ip nat nat_post
ip netns exec "$router" nft add rule ip nat nat_post oifname "wan0" masquerade
ip netns exec "$router" conntrack -D -p udp >/dev/null 2>&1 || true

field() { grep -o "\"$1\":\"[^\"]*\"" "$2" 2>/dev/null | cut -d'"' -f4 || true; }
sent="$(field transfer_sha256 "$dir/a.out")"
got="$(field transfer_sha256 "$dir/b.out")"
rebinds="$(field transfer_rebinds "$dir/b.out")"
if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "${rebinds:-0}" -ge 1 ]; then
    log "rebind: $bytes bytes arrived intact across a NAT rebinding (receiver followed $rebinds address change(s), $(field transfer_ms "$dir/a.out") ms, $(field transfer_packets_lost "$dir/a.out") packets lost)"
    exit 0
fi
log "rebind: FAILED (sha match: $([ -n "$sent" ] && [ "$sent" = "$got" ] && echo yes || echo no), rebinds '${rebinds}')"
log "sender: $(cat "$dir/a.out" "$dir/a.err" | head -5)"
log "receiver: $(cat "$dir/b.out" "$dir/b.err" | head -5)"
[ -n "${NETLAB_KEEP_FAILED:-}" ] && cp -r "$dir" "$NETLAB_KEEP_FAILED/rebind" 2>/dev/null
exit 1
