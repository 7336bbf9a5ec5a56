#!/usr/bin/env bash
# Demo: a local mesh with no registry. Five DHT nodes on 127.0.0.1; alice, bob and carol join with the identities
# the demo created, publish signed agent cards and capabilities, and find each other by capability and by DID.
# Given MESHPEER (the binary) and DEMO_DIR by scripts/demo. Every process is stopped on exit.
source "$(dirname "$0")/../lib/common.sh"
: "${MESHPEER:?}" "${DEMO_DIR:?}"
WORK="$DEMO_DIR/mesh"
mkdir -p "$WORK"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

serve() { # serve NAME ARGS...: starts a node and sets PORT once it listens
    local name="$1"; shift
    "$MESHPEER" dht serve --listen 127.0.0.1:0 --json "$@" >"$WORK/$name.log" 2>&1 &
    pids+=("$!")
    wait_for "$WORK/$name.log" '"event":"listening"' 30
    PORT="$(grep -m1 '"event":"listening"' "$WORK/$name.log" | grep -o '127\.0\.0\.1:[0-9]*' | head -1 | cut -d: -f2)"
}
did_of() { "$MESHPEER" id --home "$DEMO_DIR/$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["did"])'; }

serve seed --ephemeral
SEED="$PORT"
for i in 1 2 3 4; do serve "node$i" --ephemeral --bootstrap "127.0.0.1:$SEED"; done
echo "  5 DHT nodes up (seed at 127.0.0.1:$SEED)"

publish() { # publish AGENT DESCRIPTION CAPABILITY...
    local agent="$1" description="$2"; shift 2
    local provides=() skills=""
    for capability in "$@"; do
        provides+=(--provide "$capability")
        skills+="${skills:+,}{\"id\":\"$capability\",\"name\":\"$capability\"}"
    done
    printf '{"name":"%s","description":"%s","version":"1.0","skills":[%s]}\n' "$agent" "$description" "$skills" \
        >"$WORK/$agent-card.json"
    serve "$agent" --home "$DEMO_DIR/$agent" --bootstrap "127.0.0.1:$SEED" \
        --publish-card "$WORK/$agent-card.json" "${provides[@]}"
    wait_for "$WORK/$agent.log" "\"capability\":\"${*: -1}\".*\"event\":\"published\"" 30
    echo "  $agent published its card and offers: $*"
}
publish alice "Translates between languages" translate
publish bob "Summarises long documents" summarise translate
publish carol "Books meetings" schedule

find_providers() { "$MESHPEER" dht providers "$1" --bootstrap "127.0.0.1:$SEED" --listen 127.0.0.1:0 --json --timeout 5; }
for capability in translate schedule; do
    result="$(find_providers "$capability")"
    count="$(printf '%s' "$result" | grep -o 'did:key:z[1-9A-HJ-NP-Za-km-z]*' | sort -u | wc -l)"
    echo "  who offers '$capability'? $count agent(s):"
    printf '%s' "$result" | grep -o 'did:key:z[1-9A-HJ-NP-Za-km-z]*' | sort -u | sed 's/^/      /'
done
ALICE="$(did_of alice)"
record="$("$MESHPEER" dht get --did "$ALICE" --bootstrap "127.0.0.1:$SEED" --listen 127.0.0.1:0 --json --timeout 5)"
printf '%s' "$record" | grep -q '"found":true' || die "alice's record was not found"
echo "  alice's signed record, looked up by DID from another node:"
printf '%s\n' "$record" | python3 -c 'import json,sys
r=json.loads(sys.stdin.read().strip().splitlines()[-1])
card = json.loads(r["agent_card"])
print("      did:   " + r["did"])
print("      card:  " + json.dumps(card))
print("      found in %d hops, %d ms" % (r["hops"], r["latency_ms"]))'
