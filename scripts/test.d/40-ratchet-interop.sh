#!/usr/bin/env bash
# Ratchet interop: Swift against PyPI's `x3dh` and `doubleratchet` (configured to MeshPeer's constructions through
# scripts/test.d/40-ratchet-interop-peer.py). Installs the Python side in .cache/venv-ratchet (pinned versions),
# then runs the InteropTests suite, which is enabled only when MESHPEER_RATCHET_INTEROP_PYTHON is set.
# Fails unless both interop tests ran and passed.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv

VENV="$(ensure_venv ratchet)"

# A failed build stops here instead of testing whatever binaries an earlier build left.
build_products --tests
out="${TMPDIR:-/tmp}/meshpeer-ratchet-interop.log"
MESHPEER_RATCHET_INTEROP_PYTHON="$VENV/bin/python" swift test --skip-build --filter 'RatchetTests.InteropTests' 2>&1 \
    | tee "$out" || die "ratchet interop tests failed; see $out"
grep -Eq "Test run with 2 tests in 1 suite passed" "$out" \
    || die "ratchet interop with the Python x3dh/doubleratchet packages failed (or did not run); see $out"
