# One lab agent's files, start and stop, and the lab services and cell runners, shared by the agents lab
# (netlab-agents.sh), the on-path lab (netlab-onpath.sh) and the IPv6 lab (netlab-ipv6.sh). Sourced; expects
# $meshpeer, $P (the run's namespace prefix), $BOOTSTRAP, $RELAY and $RELAY_DHT, and `log` and `wait_for`.

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

# start_services NS LISTEN [RELAY_JSON_FIELDS]: the lab's bootstrap node (`dht serve` at $BOOTSTRAP) and its relay
# (listening on LISTEN, its own DHT node at $RELAY_DHT, `lab: true`) in namespace NS, each waited for (30 s).
# RELAY_JSON_FIELDS, if given, are more fields of the relay's config (e.g. `"tls": {…},`). Expects $work and PIDS.
start_services() {
    local ns="$1" listen="$2" extra="${3:-}"
    ip netns exec "$P-$ns" "$meshpeer" dht serve --ephemeral --listen "$BOOTSTRAP" --json \
        >"$work/bootstrap.out" 2>"$work/bootstrap.log" &
    PIDS+=($!)
    wait_for "$work/bootstrap.out" '"listening"' 30
    mkdir -p "$work/relay"
    cat >"$work/relay.json" <<EOF2
{"listen": "$listen", "data": "$work/relay", "lab": true, "metricsListen": "127.0.0.1:0", $extra
 "dht": {"listen": ["$RELAY_DHT"], "bootstrap": ["$BOOTSTRAP"]}}
EOF2
    ip netns exec "$P-$ns" "$meshpeer" relay --config "$work/relay.json" >"$work/relay.out" 2>"$work/relay.log" &
    PIDS+=($!)
    wait_for "$work/relay.out" '"listening"' 30
}

# drive_cell DIR SECONDS DRIVER-ARGS...: runs the lab's Python driver ($driver) for one cell, bounded by SECONDS,
# into DIR/result.json (its log in DIR/driver.log).
drive_cell() {
    local dir="$1" seconds="$2"
    shift 2
    timeout "$seconds" python3 "$driver" "$@" >"$dir/result.json" 2>"$dir/driver.log" &
    echo $! >"$dir/driver.pid"
    wait "$(cat "$dir/driver.pid")" || true
}

# finish_cell NAME DIR: stops the cell's two agents; a cell whose driver wrote nothing (or never ran, because an
# agent did not start) reports {"ok": false}.
finish_cell() {
    local name="$1" dir="$2"
    stop_agent "$dir/a"
    stop_agent "$dir/b"
    [ -s "$dir/result.json" ] || echo "{\"scenario\":\"$name\",\"ok\":false,\"error\":\"no result\"}" >"$dir/result.json"
}

# side_by_side FUNCTION ITEM...: FUNCTION ITEM for every item at once (each in the background, in PIDS for the
# cleanup), and waits for all of them.
side_by_side() {
    local function="$1" item pid running=()
    shift
    for item in "$@"; do
        "$function" "$item" &
        running+=($!)
        PIDS+=($!)
    done
    for pid in "${running[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# stop_lab: the exit trap of a lab whose cells keep their agents in $work/CELL/{a,b} (and a driver each), its servers
# in PIDS and its namespaces in MY_NAMESPACES. Agents and drivers go first (each pid is a `timeout`, which passes
# SIGTERM on to its command), then the servers, then anything left in the namespaces, and the namespaces.
stop_lab() {
    local pid ns file
    for file in "$work"/*/a/pid "$work"/*/b/pid "$work"/*/driver.pid; do
        [ -f "$file" ] && kill "$(cat "$file")" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "${MY_NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}
