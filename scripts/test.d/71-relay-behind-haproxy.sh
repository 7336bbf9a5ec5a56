#!/usr/bin/env bash
# A relay behind a real reverse proxy (Debian's HAProxy, HTTP mode with `option forwardfor`), as
# docs/operators.md recommends running it (issue 16). Clients come from three loopback addresses (127.0.0.2-4);
# HAProxy, on 127.0.0.1, forwards each WebSocket upgrade with X-Forwarded-For. The relay allows 2 connections per
# source:
#   - with --trusted-proxy 127.0.0.1 each client address gets its own 2: six connections from three clients are
#     challenged, the seventh from a client that already holds two is refused `tooManyConnections`;
#   - without it (the proxy not trusted) they all count as 127.0.0.1: the third connection is refused.
# (`refused:9` is tooManyConnections.) Everything runs on loopback; HAProxy and the relay are stopped on exit.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_packages haproxy python3
build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
WORK="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_case() { # run_case NAME RELAY-ARGS... : sets PROXY_PORT (not run in a subshell, so `pids` keeps every process)
    local name="$1"; shift
    local relay_port proxy_port
    relay_port="$(free_port)"
    proxy_port="$(free_port)"
    mkdir -p "$WORK/$name"
    printf '{"limits": {"connectionsPerSource": 2}, "lab": true}\n' >"$WORK/$name/relay.json"
    "$BIN" relay --config "$WORK/$name/relay.json" --data "$WORK/$name/data" --listen "127.0.0.1:$relay_port" \
        --metrics-listen 127.0.0.1:0 "$@" >"$WORK/$name/relay.out" 2>"$WORK/$name/relay.err" &
    pids+=($!)
    cat >"$WORK/$name/haproxy.cfg" <<CFG
global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 30s
frontend relay_front
    bind 127.0.0.1:$proxy_port
    option forwardfor
    default_backend relay_back
backend relay_back
    server relay 127.0.0.1:$relay_port
CFG
    "$HAPROXY" -c -q -f "$WORK/$name/haproxy.cfg" || die "haproxy rejected its config"
    "$HAPROXY" -db -f "$WORK/$name/haproxy.cfg" >"$WORK/$name/haproxy.log" 2>&1 &
    pids+=($!)
    local deadline=$((SECONDS + 30))
    until grep -q '"event":"listening"' "$WORK/$name/relay.out" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/$name/relay.err" >&2; die "the relay did not start"; }
        sleep 0.1
    done
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $proxy_port), 1).close()" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || die "haproxy did not listen"
        sleep 0.1
    done
    PROXY_PORT="$proxy_port"
}

answers() { # answers PROXY-PORT SOURCE... : one line per connection, "challenge" or "refused:<code>"
    python3 - "$@" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
held = []
for source in sys.argv[2:]:
    s = socket.socket()
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(("GET /relay HTTP/1.1\r\nHost: relay.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(f"{source}: closed before the upgrade")
        data += chunk
    head, _, data = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        sys.exit(f"{source}: no upgrade: {head[:80]!r}")
    while len(data) < 2:
        data += s.recv(4096)
    length = data[1] & 0x7F
    while len(data) < 2 + length:
        data += s.recv(4096)
    frame = data[2:2 + length]
    if frame[:2] != b"MP":
        sys.exit(f"{source}: not a MeshPeer frame")
    kind = struct.unpack(">H", frame[3:5])[0]
    if kind == 0x0201:
        print("challenge")
    elif kind == 0x0206:
        payload = frame[9:]
        print(f"refused:{struct.unpack('>H', payload[:2])[0]}")
    else:
        print(f"other:{kind:#06x}")
    held.append(s)
PY
}

log "relay behind haproxy, proxy trusted"
run_case trusted --trusted-proxy 127.0.0.1
got="$(answers "$PROXY_PORT" 127.0.0.2 127.0.0.2 127.0.0.3 127.0.0.3 127.0.0.4 127.0.0.4 127.0.0.2 | tr '\n' ' ')"
echo "  $got"
case "$got" in
    "challenge challenge challenge challenge challenge challenge refused:9 ") ;;
    *) die "behind a trusted proxy each client should get its own allowance: $got" ;;
esac

log "relay behind haproxy, proxy not trusted"
run_case untrusted
got="$(answers "$PROXY_PORT" 127.0.0.2 127.0.0.3 127.0.0.4 | tr '\n' ' ')"
echo "  $got"
case "$got" in
    "challenge challenge refused:9 ") ;;
    *) die "without trust every client is the proxy's address: $got" ;;
esac
log "relay behind haproxy: per-client limits hold"
