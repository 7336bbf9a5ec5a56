#!/usr/bin/env python3
"""Runs schemathesis against a running MeshPeer local API, with docs/openapi.yaml as the contract.

    schemathesis-run.py --url http://127.0.0.1:PORT --token-file DIR/api-token [--max-examples N] [--seed S]

Run it with the Python of a venv that has schemathesis (scripts/test.d/60-api-schemathesis.sh makes one). Every
operation but the endless event stream is exercised with positive and negative data, and each response must
not be a server error (5xx), must use a status code the document lists for the operation, and must match the
document's schema and content type. Exits with schemathesis's status: non-zero on any finding.
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the API's base URL, from DIR/api.json")
    parser.add_argument("--token-file", required=True, help="DIR/api-token")
    parser.add_argument("--max-examples", type=int, default=25, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20261204, help="hypothesis seed (a fixed one by default)")
    args = parser.parse_args()

    token = pathlib.Path(args.token_file).read_text().strip()
    schemathesis = pathlib.Path(sys.executable).with_name("schemathesis")
    command = [
        str(schemathesis), "run", str(ROOT / "docs" / "openapi.yaml"),
        "--url", args.url,
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(args.max_examples),
        "--seed", str(args.seed),
        # The event stream never ends by design; tests/MeshNodeAPITests cover it.
        "--exclude-path", "/v1/events",
        # Rotating the API token invalidates the token this run authenticates with, so every later case would
        # be a 401; MeshNodeAPITests.TokenRotationTests covers it.
        "--exclude-path", "/v1/token/rotate",
        "--request-timeout", "10",
        # One worker: CPython 3.11's ast module is not thread-safe, and hypothesis parses source with it.
        "--workers", "1",
        "--suppress-health-check", "all",
    ]
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(ROOT / "scripts" / "lib" / "schemathesis-hooks.py"))
    env.setdefault("NO_COLOR", "1")
    # A scratch working directory: schemathesis and hypothesis keep caches (.schemathesis, .hypothesis) in it,
    # and a run should neither litter the repository nor replay an earlier run's cases.
    with tempfile.TemporaryDirectory(prefix="meshpeer-schemathesis-") as scratch:
        return subprocess.call(command, env=env, cwd=scratch)


if __name__ == "__main__":
    sys.exit(main())
