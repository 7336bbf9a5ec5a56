"""A mesh of real processes for the MCP tests (the Python client's harness), and `meshpeer mcp` sessions on it
through the official MCP Python SDK's stdio client."""

from __future__ import annotations

import sys
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "clients" / "python" / "tests"))

from mesh import Mesh  # noqa: E402

AGENTS = {
    "ada": ("research", {"default": "hold"}),
    "lexi": ("legal-translation", {"default": "hold"}),  # her owner (here: her agent, allowed to) decides
}


@pytest.fixture(scope="session")
def mesh() -> Iterator[Mesh]:
    network = Mesh(Path(tempfile.mkdtemp(prefix="meshpeer-mcp-")))
    try:
        network.start_bootstrap()
        network.start_relay("relay-a")
        for name, (tag, policy) in AGENTS.items():
            network.add_agent(name, tag, policy)
        yield network
    except Exception:
        print(network.logs())
        raise
    finally:
        network.stop_all()
        shutil.rmtree(network.root, ignore_errors=True)
