#!/usr/bin/env bash
# The indexer's HTML pages in a real browser: headless Chromium (Debian `chromium`) reads the search page, a
# search's results and one agent's page, served by `meshpeer indexer` crawling a small mesh on 127.0.0.1
# (a bootstrap node and two agents whose cards are signed by `meshpeer card show --a2a` and published with
# `meshpeer dht serve --publish-card`). The pages work without JavaScript, so --dump-dom of each URL is the test.
# Every wait is bounded; every process is killed on exit.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages chromium curl

build_products meshpeer
BIN="$(swift build --show-bin-path)/meshpeer"
[ -x "$BIN" ] || die "no meshpeer binary at $BIN"
CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
WORK="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

start() { # start NAME ARGS...: runs meshpeer ARGS in the background, output in $WORK/NAME.log
    local name="$1"; shift
    "$BIN" "$@" >"$WORK/$name.log" 2>&1 &
    pids+=("$!")
}

dom() { # dom URL: the page as headless Chromium renders it (no JavaScript needed)
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$WORK/chromium" --dump-dom "$1" 2>"$WORK/chromium.log"
}

log "a bootstrap node and two agents with signed cards"
start bootstrap dht serve --ephemeral --listen 127.0.0.1:0 --json
wait_for "$WORK/bootstrap.log" '"event":"listening"' 30
SEED="$(grep -m1 '"event":"listening"' "$WORK/bootstrap.log" | grep -o '127\.0\.0\.1:[0-9]*' | head -1)"
for word in heliotrope marmalade; do
    home="$WORK/$word"
    "$BIN" init --home "$home" --json >/dev/null
    cat >"$home/card.json" <<CARD
{"name": "The $word agent", "description": "Knows everything about $word.", "version": "1.0.0",
 "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"], "capabilities": {},
 "supportedInterfaces": [], "skills": [{"id": "$word", "name": "$word", "description": "All $word.", "tags": ["$word"]}]}
CARD
    "$BIN" card show --a2a --home "$home" >"$home/signed-card.json"
    start "$word" dht serve --home "$home" --listen 127.0.0.1:0 --bootstrap "$SEED" \
        --publish-card "$home/signed-card.json" --json
done

log "the indexer"
start indexer indexer --database "$WORK/indexer.sqlite" --bootstrap "$SEED" --http 127.0.0.1:0 --rate 200 --revisit 2
wait_for "$WORK/indexer.log" '"event":"listening"' 30
URL="$(grep -m1 '"event":"listening"' "$WORK/indexer.log" | grep -o 'http://127\.0\.0\.1:[0-9]*')"

deadline=$((SECONDS + 60))
until curl -fsS "$URL/v1/search?q=heliotrope" | grep -q '"did"'; do
    [ "$SECONDS" -lt "$deadline" ] || die "the indexer did not list the heliotrope agent within 60 s"
    sleep 0.5
done

log "the search page in headless Chromium"
home_dom="$(dom "$URL/")"
grep -q '<form action="/search"' <<<"$home_dom" || die "no search form on $URL/: $home_dom"

results="$(dom "$URL/search?q=heliotrope")"
grep -q 'class="result"' <<<"$results" || die "no results for heliotrope: $results"
grep -q 'The heliotrope agent' <<<"$results" || die "the heliotrope agent is not among the results: $results"
if grep -q 'The marmalade agent' <<<"$results"; then die "a search for heliotrope listed the marmalade agent"; fi
link="$(grep -o 'href="/agents/did:key:[^"]*"' <<<"$results" | head -1 | cut -d'"' -f2)"
[ -n "$link" ] || die "no link to the agent's page in: $results"

log "one agent's page ($link)"
agent="$(dom "$URL$link")"
grep -q 'id="did"' <<<"$agent" || die "the agent page has no DID: $agent"
grep -q "${link#/agents/}" <<<"$agent" || die "the agent page is for another DID: $agent"
grep -q 'id="record"' <<<"$agent" || die "the agent page does not carry the signed record: $agent"

log "the indexer stops gracefully"
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || die "the indexer did not exit cleanly on SIGTERM"
log "indexer pages: ok"
