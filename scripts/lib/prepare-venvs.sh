#!/usr/bin/env bash
# Makes every Python virtualenv the suites use (VENV_NAMES in common.sh). scripts/test runs it in the background
# while Swift builds; a venv that fails here is tried again by its suite, which then fails loudly.
source "$(dirname "$0")/common.sh"
ensure_packages python3 python3-venv
for name in "${VENV_NAMES[@]}"; do
    (ensure_venv "$name" >/dev/null) || log "the $name virtualenv was not made here; its suite will try again"
done
log "Python virtualenvs ready"
