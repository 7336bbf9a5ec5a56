#!/usr/bin/env bash
# The owner's dashboard in a real browser: headless Chromium (Debian chromium + chromium-driver) driven by Selenium
# (PyPI, pinned, in .cache/venv-dashboard) against a real mesh (bootstrap node, relay, two agents on 127.0.0.1).
# 58-dashboard-browser.py logs in through `meshpeer dashboard`'s one-time link, approves a held knock by clicking,
# checks the decision through the API, watches a live update arrive, and trips and resets the breaker from the
# page when the build has one. Screenshots go to ${TMPDIR:-/tmp}/meshpeer-artifacts/ and their paths are printed.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv chromium chromium-driver

VENV="$(ensure_venv dashboard)"

build_products meshpeer
MESHPEER_BIN="$(swift build --show-bin-path)/meshpeer"
[ -x "$MESHPEER_BIN" ] || die "no meshpeer binary at $MESHPEER_BIN"
export MESHPEER_BIN
export MESHPEER_ARTIFACTS="${TMPDIR:-/tmp}/meshpeer-artifacts"
mkdir -p "$MESHPEER_ARTIFACTS"
rm -f "$MESHPEER_ARTIFACTS"/dashboard-*.png
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"

log "the dashboard in headless Chromium (screenshots in $MESHPEER_ARTIFACTS)"
timeout 150 "$VENV/bin/python" "$(dirname "$0")/58-dashboard-browser.py"
