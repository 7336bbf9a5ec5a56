"""A mesh of real processes for the MCP tests (the Python client's harness), and `meshpeer mcp` sessions on it
through the official MCP Python SDK's stdio client."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "clients" / "python" / "tests"))

from mesh import Mesh, running_mesh  # noqa: E402

AGENTS = {
    "ada": ("research", {"default": "hold"}),
    "lexi": ("legal-translation", {"default": "hold"}),  # her owner (here: her agent, allowed to) decides
}


@pytest.fixture(scope="session")
def mesh() -> Iterator[Mesh]:
    with running_mesh("meshpeer-mcp-", AGENTS) as network:
        yield network
