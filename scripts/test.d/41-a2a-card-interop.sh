#!/usr/bin/env bash
# A2A card interop: the cards MeshPeer writes (an owner's full card, the card the node serves with its urn:meshpeer
# extensions, the compact card a record carries, and the default card) must parse strictly with the official A2A
# SDK (PyPI a2a-sdk). Installs it in .cache/venv-a2a, runs the Swift test that writes the sample cards to
# MESHPEER_CARD_OUT, then Tests/Interop/a2a/check_cards.py, which fails on any parse or required-field error.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv

VENV="$(ensure_venv a2a)"

cards="$(mktemp -d "${TMPDIR:-/tmp}/meshpeer-a2a-cards.XXXXXX")"
trap 'rm -rf "$cards"' EXIT
build_products --tests
out="${TMPDIR:-/tmp}/meshpeer-a2a-interop.log"
MESHPEER_CARD_OUT="$cards" swift test --skip-build \
    --filter 'MeshPeerTests.CompactCardTests/sampleCardsForTheA2AInteropCheck' 2>&1 | tee "$out"
grep -Eq "Test run with 1 test in 1 suite passed" "$out" \
    || die "the Swift test that writes the sample cards failed (or did not run); see $out"
log "parsing $(ls "$cards" | wc -l) cards with the A2A SDK"
"$VENV/bin/python" Tests/Interop/a2a/check_cards.py "$cards" 4 \
    || die "a card MeshPeer writes does not parse strictly with the A2A SDK"
