#!/usr/bin/env bash
# netlab-rebind.sh PREFIX WORKDIR MESHPEER: NAT rebinding in the middle of a direct-channel transfer (run by
# scripts/netlab, which owns the namespaces and their cleanup; logs go to stderr, stdout stays free for the matrix).
#
# h-prc (behind the port-restricted router r-prc) sends NETLAB_REBIND_BYTES to h-full (behind the full-cone router
# r-full: NATs on both sides) over the encrypted direct channel. Once the transfer runs, r-prc forgets every UDP
# mapping (conntrack -D) and masquerades into another port range, so the flow's next packet leaves from a new
# external port: what a NAT reboot or a mapping expiry does. (Linux would otherwise hand the freed port straight back
# to the same flow, and nothing would change.) The transfer must complete, checked by SHA-256 at both ends, and the
# receiver must have followed the new address. Then both ends hold the channel idle for NETLAB_REBIND_HOLD seconds
# (default 40, past ICE's 30 s consent timeout, RFC 7675) and one more message must cross: ICE consent has to
# follow the validated new address too, or the receiver loses consent on the old one and the channel dies
# (decision 0096). The peer is behind a full cone because the side that did not move must reach the new mapping
# first; behind an address-filtering NAT only an ICE restart helps (decision 0058).
# Also reports the router's conntrack UDP timeouts and checks the channel's 15 s keepalive is shorter than both.
source "$(dirname "$0")/common.sh"
P="$1" work="$2" meshpeer="$3"
meshlab="${MESHLAB:-$(dirname "$meshpeer")/meshlab}" # ice-connect is lab-only: it left meshpeer (issue 12)
dir="$work/rebind"
mkdir -p "$dir"
bytes="${NETLAB_REBIND_BYTES:-8388608}"
hold="${NETLAB_REBIND_HOLD:-40}"
keepalive=15
router="$P-r-prc"

unreplied="$(ip netns exec "$router" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)"
stream="$(ip netns exec "$router" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream)"
log "rebind: lab NAT UDP timeouts: ${unreplied} s unreplied, ${stream} s once both directions were seen; keepalive ${keepalive} s"
[ "$keepalive" -lt "$unreplied" ] && [ "$keepalive" -lt "$stream" ] || die "keepalive ${keepalive} s does not fit the NAT's UDP timeouts"

# A clean table first: the matrix left ASSURED entries from h-prc to r-full (120 s), which the wait below would
# otherwise take for this transfer's flow.
ip netns exec "$router" conntrack -D -p udp >/dev/null 2>&1 || true
ip netns exec "$P-r-full" conntrack -D -p udp >/dev/null 2>&1 || true

# The router's uplink is shaped to 24 Mbit/s (a home uplink) for this scenario, so the transfer lasts seconds
# however fast the machine: the channel got fast enough that 16 MiB crossed in under 2 s, before the (slow, in a
# namespace) conntrack polling below had even seen the flow, and the flush came after the end.
ip netns exec "$router" tc qdisc replace dev wan0 root tbf rate 24mbit burst 32kb latency 100ms

# h-full binds in r-full's static DNAT range (40000-40999), away from the matrix's 40000.
limit=$((hold + 80))
ip netns exec "$P-h-prc" timeout $((limit + 20)) "$meshlab" ice-connect --role controlling --host 192.0.2.18 \
    --stun 203.0.113.1:3478 --local-out "$dir/a.json" --remote-in "$dir/b.json" --timeout "$limit" \
    --transfer-bytes "$bytes" --hold-seconds "$hold" >"$dir/a.out" 2>"$dir/a.err" &
pid_a=$!
ip netns exec "$P-h-full" timeout $((limit + 20)) "$meshlab" ice-connect --role controlled --host 192.0.2.2 \
    --port 40010 --stun 203.0.113.1:3478 --local-out "$dir/b.json" --remote-in "$dir/a.json" --timeout "$limit" \
    --transfer-bytes "$bytes" --hold-seconds "$hold" >"$dir/b.out" 2>"$dir/b.err" &
pid_b=$!

# Flush once the transfer is really under way: conntrack's byte counters (accounting on, in the router only) say
# when the flow has carried 256 KiB of data. A fixed delay raced a fast machine, where the whole transfer
# ended before the flush. Bounded: descriptions within 30 s, the flow's progress within 60 s.
ip netns exec "$router" sysctl -qw net.netfilter.nf_conntrack_acct=1
for _ in $(seq 1 300); do [ -f "$dir/a.json" ] && [ -f "$dir/b.json" ] && break; sleep 0.1; done
threshold=262144  # 256 KiB: well past the ICE checks, early in any transfer worth the name
entry=""
for _ in $(seq 1 1200); do
    entry="$(ip netns exec "$router" conntrack -L -p udp --orig-dst 203.0.113.20 2>/dev/null | grep ASSURED || true)"
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
log "rebind: after:  $(ip netns exec "$router" conntrack -L -p udp --orig-dst 203.0.113.20 2>/dev/null | head -1)"
wait "$pid_a" "$pid_b" || true

# Back to the plain, unshaped port-restricted NAT for anything that runs later.
ip netns exec "$router" tc qdisc del dev wan0 root 2>/dev/null || true
ip netns exec "$router" nft flush chain ip nat nat_post
ip netns exec "$router" nft add rule ip nat nat_post oifname "wan0" masquerade
ip netns exec "$router" conntrack -D -p udp >/dev/null 2>&1 || true
ip netns exec "$P-r-full" conntrack -D -p udp >/dev/null 2>&1 || true

field() { grep -o "\"$1\":\"[^\"]*\"" "$2" 2>/dev/null | cut -d'"' -f4 || true; }
sent="$(field transfer_sha256 "$dir/a.out")"
got="$(field transfer_sha256 "$dir/b.out")"
rebinds="$(field transfer_rebinds "$dir/b.out")"
held_a="$(field hold_round_trip "$dir/a.out")"
held_b="$(field hold_round_trip "$dir/b.out")"
consent_b="$(field ice_selected_remote "$dir/b.out")"
# The receiver's ICE pair must have moved to the rebound mapping (r-prc's new range), not merely survived.
moved=no
port_b="${consent_b##*:}"
[[ "$port_b" =~ ^[0-9]+$ ]] && [ "$port_b" -ge 20000 ] && [ "$port_b" -le 29999 ] && moved=yes
if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "${rebinds:-0}" -ge 1 ] && [ "$held_a" = ok ] && [ "$held_b" = ok ] \
    && [ "$moved" = yes ]; then
    log "rebind: $bytes bytes arrived intact across a NAT rebinding (receiver followed $rebinds address change(s), $(field transfer_ms "$dir/a.out") ms, $(field transfer_packets_lost "$dir/a.out") packets lost)"
    log "rebind: after ${hold} s idle the channel still carried a message both ways; the receiver's ICE consent is on $consent_b (no consent lost)"
    exit 0
fi
log "rebind: FAILED (sha match: $([ -n "$sent" ] && [ "$sent" = "$got" ] && echo yes || echo no), rebinds '${rebinds}', after ${hold} s idle: sender '${held_a}', receiver '${held_b}', receiver's ICE pair '${consent_b}')"
log "sender: $(cat "$dir/a.out" "$dir/a.err" | head -5)"
log "receiver: $(cat "$dir/b.out" "$dir/b.err" | head -5)"
[ -n "${NETLAB_KEEP_FAILED:-}" ] && cp -r "$dir" "$NETLAB_KEEP_FAILED/rebind" 2>/dev/null
exit 1
