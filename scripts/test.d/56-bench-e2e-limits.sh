#!/usr/bin/env bash
# `meshbench e2e` refuses, before it starts a single process, a run whose sends to one peer the sending node's
# circuit breaker would refuse partway (a burst of 5,000 per peer, then 100/s): such a run used to fail with
# `rateLimited` minutes in, after the mesh, the first contacts and the relay run.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

build_products meshbench
BIN="$(swift build --show-bin-path)"
err="$(mktemp)"
trap 'rm -f "$err"' EXIT

log "meshbench e2e --messages 6000 is refused at once, naming the breaker"
if timeout -k 5 30 "$BIN/meshbench" e2e --messages 6000 >/dev/null 2>"$err"; then
    die "meshbench e2e --messages 6000 ran, but the breaker would have refused it partway"
fi
grep -q "circuit breaker" "$err" || { cat "$err" >&2; die "the refusal does not name the breaker"; }
grep -q "breaker.perPeer" "$err" || { cat "$err" >&2; die "the refusal does not say which setting"; }

log "meshbench e2e --messages 4500 --switch-messages 600 is refused too (both go to one peer)"
if timeout -k 5 30 "$BIN/meshbench" e2e --messages 4500 --switch-messages 600 >/dev/null 2>"$err"; then
    die "meshbench e2e --messages 4500 --switch-messages 600 ran past the breaker's burst"
fi
grep -q "circuit breaker" "$err" || { cat "$err" >&2; die "the refusal does not name the breaker"; }
log "ok"
