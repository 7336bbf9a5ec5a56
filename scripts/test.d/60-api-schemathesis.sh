#!/usr/bin/env bash
# The local agent API against its contract, docs/openapi.yaml, with schemathesis (PyPI; pinned, in
# .cache/venv-schemathesis). Three steps, each fatal:
#   1. openapi-spec-validator: the document is valid OpenAPI 3.1.
#   2. MeshNodeAPITests.SchemathesisTests: the HTTP layer over its test double (enabled only when
#      MESHPEER_SCHEMATHESIS_PYTHON is set, as here).
#   3. A real node (`meshpeer init` + `meshpeer run` on loopback): schemathesis against its API with the checks
#      not_a_server_error, status_code_conformance, response_schema_conformance and content_type_conformance, a
#      bounded number of examples (about a minute), then a SIGTERM that must remove api.json (graceful shutdown).
# Any finding fails the script; the node is killed on exit whatever happens.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_swift
ensure_packages python3 python3-venv

VENV="$(ensure_venv schemathesis)"

log "docs/openapi.yaml is valid OpenAPI 3.1"
"$VENV/bin/openapi-spec-validator" docs/openapi.yaml

build_products --tests
log "schemathesis against the HTTP layer and its test double"
out="${TMPDIR:-/tmp}/meshpeer-api-schemathesis-unit.log"
MESHPEER_SCHEMATHESIS_PYTHON="$VENV/bin/python" swift test --skip-build --filter 'MeshNodeAPITests.SchemathesisTests' 2>&1 \
    | tee "$out"
grep -Eq "Test run with 1 test in 1 suite passed" "$out" \
    || die "schemathesis found the local API breaking docs/openapi.yaml (or did not run); see $out"

BIN="$(swift build --show-bin-path)/meshpeer"
WORK="$(mktemp -d)"
NODE=""
cleanup() {
    local status=$?
    if [ -n "$NODE" ] && kill -0 "$NODE" 2>/dev/null; then
        kill -KILL "$NODE" 2>/dev/null || true
        wait "$NODE" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$WORK/node.log" ]; then
        echo "--- node log (last 40 lines)" >&2
        tail -n 40 "$WORK/node.log" >&2
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

log "starting a node on loopback"
"$BIN" init --home "$WORK/home" >/dev/null
"$BIN" run --home "$WORK/home" --listen 127.0.0.1:0 --log-level warning >"$WORK/node.log" 2>&1 &
NODE=$!
deadline=$((SECONDS + 60))
until [ -s "$WORK/home/api.json" ] && [ -s "$WORK/home/api-token" ]; do
    kill -0 "$NODE" 2>/dev/null || die "meshpeer run exited before its API was ready"
    [ "$SECONDS" -lt "$deadline" ] || die "meshpeer run did not write api.json within 60 s"
    sleep 0.1
done
URL="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/home/api.json")"

log "schemathesis against the node at $URL"
"$VENV/bin/python" scripts/lib/schemathesis-run.py --url "$URL" --token-file "$WORK/home/api-token" --max-examples 100 \
    || die "schemathesis found the running node's API breaking docs/openapi.yaml (see above)"
kill -0 "$NODE" 2>/dev/null || die "the node died during the schemathesis run"

log "graceful shutdown"
kill -TERM "$NODE"
deadline=$((SECONDS + 20))
while kill -0 "$NODE" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "the node did not stop within 20 s of SIGTERM"
    sleep 0.1
done
wait "$NODE" || die "the node exited with status $? after SIGTERM"
NODE=""
[ ! -e "$WORK/home/api.json" ] || die "the node left api.json behind after a graceful shutdown"
log "the local API keeps its contract"
