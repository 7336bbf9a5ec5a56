# One lab agent's files, start and stop, shared by the agents lab (netlab-agents.sh) and the on-path lab
# (netlab-onpath.sh). Sourced; expects $meshpeer, $P (the run's namespace prefix), $BOOTSTRAP, $RELAY and $RELAY_DHT,
# and `log` from common.sh.

# agent_files DIR HOSTIP MODE DESCRIPTION: policy (accept every knock), card and config.json, then `meshpeer init`.
agent_files() {
    local dir="$1" ip="$2" mode="$3" description="$4"
    mkdir -p "$dir"
    echo '{"default": "accept"}' >"$dir/policy.json"
    cat >"$dir/card.json" <<EOF2
{"name": "lab agent", "description": "$description on $ip", "version": "1.0.0",
 "defaultInputModes": ["application/json"], "defaultOutputModes": ["application/json"], "capabilities": {},
 "supportedInterfaces": [], "skills": [{"id": "netlab", "name": "netlab", "description": "lab", "tags": ["netlab"],
 "examples": []}]}
EOF2
    cat >"$dir/config.json" <<EOF2
{"dht": {"listen": ["$ip:0"], "bootstrap": ["$BOOTSTRAP"]}, "relays": ["$RELAY"], "homeRelays": 1,
 "republishSeconds": 20, "recordTTLSeconds": 120,
 "direct": {"mode": "$mode", "hosts": ["$ip"], "stun": ["$BOOTSTRAP", "$RELAY_DHT"]}}
EOF2
    "$meshpeer" init --home "$dir" >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; return 1; }
}

# agent_ready DIR NS: waits (bounded: 60 s) for the agent's ready line; fails if it exits first.
agent_ready() {
    local dir="$1" ns="$2" deadline=$((SECONDS + 60))
    until grep -q '"ready"' "$dir/run.out" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            log "agent in $ns did not start: $(tail -5 "$dir/run.log")"
            return 1
        fi
        sleep 0.1
    done
}

stop_agent() { # DIR: SIGTERM, then SIGKILL after 10 s
    local pid
    pid="$(cat "$1/pid" 2>/dev/null)" || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}
