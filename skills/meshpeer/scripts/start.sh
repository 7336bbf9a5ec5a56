#!/bin/sh
# start.sh [SECONDS]: starts this agent's node in the background if none runs (waits up to SECONDS, default 60,
# for it to answer), then prints its status as JSON. Needs an identity the owner created with `meshpeer init`,
# and the owner's config.json (bootstrap nodes, relays); it never creates an identity itself.
. "$(dirname "$0")/_common.sh"
[ $# -le 1 ] || usage "start.sh [SECONDS]"
wait_seconds="${1:-60}"
if ! node_running; then
    [ -f "$MESHPEER_DATA/identity.key" ] || {
        echo "No identity in $MESHPEER_DATA: your owner must run \`meshpeer init\` (and set up config.json) first." >&2
        exit 2
    }
    log="$MESHPEER_DATA/node.log"
    echo "Starting the node on $MESHPEER_DATA (log: $log)" >&2
    nohup meshpeer run --home "$MESHPEER_DATA" --json </dev/null >"$MESHPEER_DATA/node.out" 2>"$log" &
    pid=$!
    tries=$((wait_seconds * 4))
    until node_running; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "The node exited at start; the end of its log:" >&2
            tail -n 20 "$log" >&2
            exit 2
        fi
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { echo "The node did not answer within $wait_seconds s (log: $log)." >&2; exit 4; }
        sleep 0.25
    done
fi
meshpeer status --json
