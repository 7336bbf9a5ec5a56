#!/usr/bin/env bash
# A2A card signatures (A2A §8.4, decision 0080) across independent implementations, both directions:
#   1. `meshpeer card show --a2a` prints the agent's signed card, and a Swift test writes the signed full (served)
#      and compact owner cards; the A2A SDK (PyPI a2a-sdk) parses each strictly;
#   2. jwcrypto and rfc8785 (independent JOSE and JCS implementations) verify its signature given only the card
#      and the DID (the Ed25519 key comes from the did:key), and so does the A2A SDK's own verifier;
#   3. cards signed by that Python stack (jwcrypto + rfc8785, and the A2A SDK's signer) verify with
#      `meshpeer card verify`, and a tampered one or the wrong DID is refused with its reason; so do 60 cards with
#      random awkward params signed over rfc8785 (our JCS must agree with it byte for byte).
# Installs its tools in .cache/venv-a2a-jws; the helper is 42-a2a-card-jws.py next to this file.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv

VENV="$(ensure_venv a2a-jws)"
PY="$VENV/bin/python"
HELPER="$ROOT/scripts/test.d/42-a2a-card-jws.py"

build_products meshpeer
MESHPEER="$(swift build --show-bin-path)/meshpeer"
[ -x "$MESHPEER" ] || die "meshpeer did not build"

work="$(mktemp -d "${TMPDIR:-/tmp}/meshpeer-card-jws.XXXXXX")"
trap 'rm -rf "$work"' EXIT
home="$work/home"
"$MESHPEER" init --home "$home" >/dev/null
# A card with text JCS must write exactly: non-ASCII, quotes, a backslash, a newline and a tab.
cat >"$home/card.json" <<'CARD'
{
  "name": "Zoë's «legal» translator \"Lexis\" \\ v2",
  "description": "Übersetzt Verträge — EN⇄DE.\nSecond line\twith a tab; 😀; €5.",
  "version": "2.4.1",
  "capabilities": {"streaming": true, "pushNotifications": false},
  "defaultInputModes": ["text/plain"],
  "defaultOutputModes": ["text/plain"],
  "skills": [{"id": "legal-translation", "name": "Legal translation", "description": "Translates contracts.",
              "tags": ["translation", "legal"], "examples": ["Translate this NDA."]}]
}
CARD
did="$("$MESHPEER" card show --home "$home" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["did"])')"
"$MESHPEER" card show --home "$home" --a2a >"$work/ours.json"
log "checking the card MeshPeer signs ($did) with the A2A SDK, jwcrypto and rfc8785"
"$PY" "$HELPER" check "$work/ours.json" "$did" || die "our signed card does not pass the Python stack"

# The full card a capability.query returns (MeshPeer's extensions, numbers in their params) and the compact owner
# card, signed by the Swift test that writes them.
build_products --tests
out="${TMPDIR:-/tmp}/meshpeer-card-jws-swift.log"
mkdir -p "$work/swift"
MESHPEER_CARD_JWS_OUT="$work/swift" swift test --skip-build \
    --filter 'MeshPeerTests.CardSignatureRecordTests/signedCardsForTheInteropCheck' 2>&1 | tee "$out" >/dev/null
grep -Eq "Test run with 1 test in 1 suite passed" "$out" || die "the Swift test that writes the signed cards failed; see $out"
for card in "$work"/swift/*.json; do
    log "checking $(basename "$card") with the A2A SDK, jwcrypto and rfc8785"
    "$PY" "$HELPER" check "$card" "$(cat "$work/swift/did.txt")" || die "$(basename "$card") does not pass the Python stack"
done

log "verifying cards signed by jwcrypto + rfc8785 and by the A2A SDK with meshpeer card verify"
for signer in sign sign-sdk; do
    theirs="$work/theirs-$signer.json"
    their_did="$("$PY" "$HELPER" "$signer" "$theirs")" || die "the Python stack could not sign ($signer)"
    "$MESHPEER" card verify "$theirs" --did "$their_did" || die "a card signed by the Python stack ($signer) does not verify"
    # Negative controls: the wrong DID, and one changed character, are refused with their reason.
    out="$("$MESHPEER" card verify "$theirs" --did "$did" --json || true)"
    grep -q '"code":"kid-names-another-did"' <<<"$out" || die "the wrong DID was not refused by name: $out"
    sed 's/Translates\./Translates!/' "$theirs" >"$work/tampered.json"
    out="$("$MESHPEER" card verify "$work/tampered.json" --did "$their_did" --json || true)"
    grep -q '"code":"signature-mismatch"' <<<"$out" || die "a tampered card was not refused by name: $out"
done

# 60 cards with random params (numbers from random bit patterns, strings of control, astral and Latin-1 characters,
# keys whose UTF-16 order differs from code-point order) signed over rfc8785: ours must verify every one, which
# holds only if our JCS writes exactly what rfc8785 writes.
mkdir -p "$work/random"
"$PY" "$HELPER" sign-many "$work/random" 60 >"$work/random.txt" || die "the Python stack could not sign the random cards"
verified=0
while read -r card card_did; do
    "$MESHPEER" card verify "$card" --did "$card_did" >/dev/null || die "$(basename "$card") (signed over rfc8785) does not verify"
    verified=$((verified + 1))
done <"$work/random.txt"
[ "$verified" -eq 60 ] || die "verified $verified random cards, expected 60"
log "all $verified random cards signed over rfc8785 verify"
echo "a2a card jws: 6 passed, 0 failed"
