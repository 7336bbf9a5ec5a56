#!/usr/bin/env bash
# Agents' tools, tested from Python: the `meshpeer` client package (clients/python), the AgentSkills folder
# (skills/meshpeer) and `meshpeer mcp` through the official MCP Python SDK (Tests/MeshMCPTests/python). Builds the meshpeer binary, installs the package from its folder into .cache/venv-pyclient
# (as `pip install ./clients/python` would for a user) together with pytest, then runs the client's tests and the
# skill's tests. Each test module starts its own mesh of real processes on 127.0.0.1 (DHT bootstrap node, relay,
# agents' nodes) and stops it at the end. pytest's exit status 5 ("no tests collected") is a failure here.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv

WORK="$(mktemp -d "${TMPDIR:-/tmp}/meshpeer-pyclient.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export PYTHONDONTWRITEBYTECODE=1

# MESHPEER_BIN, when set, names a meshpeer binary to test instead of building one.
if [ -z "${MESHPEER_BIN:-}" ]; then
    # `meshpeer mcp` execs meshpeer-mcp from meshpeer's directory, so both are built.
    build_products meshpeer meshpeer-mcp
    MESHPEER_BIN="$(swift build --show-bin-path)/meshpeer"
fi
[ -x "$MESHPEER_BIN" ] || die "no meshpeer binary at $MESHPEER_BIN"
export MESHPEER_BIN

# What a user does: a fresh venv, `pip install ./clients/python`, import it (its one dependency comes along).
log "pip install ./clients/python in a fresh venv"
python3 -m venv "$WORK/fresh"
"$WORK/fresh/bin/pip" install --quiet --disable-pip-version-check ./clients/python
"$WORK/fresh/bin/python" -c 'import meshpeer; meshpeer.Client, meshpeer.AsyncClient' \
    || die "the package does not import after pip install"
[ "$("$WORK/fresh/bin/pip" freeze --disable-pip-version-check | grep -civE '^(httpx|meshpeer)[= @]')" -ge 2 ] \
    || die "the fresh venv lacks meshpeer or httpx"

# Test tools (pinned in common.sh: pytest, PyYAML and the official MCP SDK).
VENV="$(ensure_venv pyclient)"
log "installing clients/python"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./clients/python
"$VENV/bin/pip" install --quiet --disable-pip-version-check ./clients/python  # its one dependency, httpx
# The tests must use the installed package, not the source tree.
"$VENV/bin/python" -c 'import meshpeer, sys; assert "site-packages" in meshpeer.__file__, meshpeer.__file__'

for suite in clients/python/tests skills/meshpeer/tests Tests/MeshMCPTests/python/tests; do
    log "pytest $suite"
    status=0
    (cd "$suite/.." && timeout 900 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests) || status=$?
    case "$status" in
        0) ;;
        5) die "pytest collected no tests in $suite" ;;
        *) die "pytest failed in $suite (status $status)" ;;
    esac
done
