#!/usr/bin/env bash
# ICE and STUN interop with agents no one here wrote, on loopback:
#   - aioice (PyPI) completes connectivity checks with our agent, in both roles;
#   - coturn (Debian) as a STUN server gives our client the right mapped address.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_packages coturn python3 python3-venv
venv="$(ensure_venv ice)"
build_products meshpeer meshlab
meshpeer="$ROOT/.build/debug/meshpeer"
meshlab="$ROOT/.build/debug/meshlab" # the lab-only ICE probe; meshpeer has no ice-connect (issue 12)
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# coturn on loopback only, no TLS, no relaying outside loopback.
port=$((35000 + RANDOM % 1000))
cat >"$work/turnserver.conf" <<CONF
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=$port
min-port=49160
max-port=49170
realm=lab.example
lt-cred-mech
user=lab:labpass
fingerprint
no-tls
no-dtls
no-cli
allow-loopback-peers
no-multicast-peers
pidfile=$work/turnserver.pid
log-file=$work/turnserver.log
CONF
turnserver -c "$work/turnserver.conf" >/dev/null 2>&1 &
pids+=($!)
ok=0
for _ in $(seq 1 50); do # bounded: 10 s
    if report="$("$meshpeer" nat-check --stun "127.0.0.1:$port" --bind 127.0.0.1:0 --json 2>&1)" \
        && grep -q '"udp":true' <<<"$report"; then
        ok=1
        break
    fi
    sleep 0.2
done
[ "$ok" -eq 1 ] || die "coturn: no STUN answer: $report"
# "open" means the mapped address coturn reported is exactly the address our socket is bound to.
grep -q '"class":"open"' <<<"$report" || die "coturn: wrong mapped address: $report"
log "coturn: mapped address correct ($(grep -o '"public_address":"[^"]*"' <<<"$report"))"

# aioice against our agent, both roles.
for ours in controlling controlled; do
    theirs=controlled
    [ "$ours" = controlled ] && theirs=controlling
    rm -f "$work"/*.json
    "$venv/bin/python" "$ROOT/scripts/lib/aioice_peer.py" "$theirs" "$work/py.json" "$work/swift.json" \
        >"$work/py.out" 2>"$work/py.err" &
    py=$!
    "$meshlab" ice-connect --role "$ours" --host 127.0.0.1 --local-out "$work/swift.json" \
        --remote-in "$work/py.json" --timeout 20 >"$work/swift.out" 2>"$work/swift.err" || true
    wait "$py" || true
    grep -q '"path":"direct"' "$work/swift.out" \
        || die "aioice ($theirs) vs ours ($ours): our side: $(cat "$work/swift.out" "$work/swift.err")"
    grep -q '"path": "direct"' "$work/py.out" \
        || die "aioice ($theirs) vs ours ($ours): aioice: $(cat "$work/py.out" "$work/py.err")"
    log "aioice interop: ours $ours, aioice $theirs: both selected a pair ($(cat "$work/swift.out"))"
done
