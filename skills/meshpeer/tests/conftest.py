"""A mesh of real processes for the skill's tests, built with the Python client's test harness."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

SKILL = Path(__file__).resolve().parents[1]
REPO = SKILL.parents[1]
sys.path.insert(0, str(REPO / "clients" / "python" / "tests"))

from mesh import Mesh, meshpeer_binary, running_mesh  # noqa: E402

AGENTS = {
    "ada": ("research", {"default": "hold"}),
    "lexi": ("legal-translation", {"default": "hold"}),  # her owner decides every first contact
    "rex": ("code-review", {"default": "reject"}),  # refuses everyone
}


@pytest.fixture(scope="session")
def mesh() -> Iterator[Mesh]:
    with running_mesh("meshpeer-skill-", AGENTS) as network:
        yield network


@pytest.fixture(scope="session")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only `meshpeer`, to put on PATH as a user would."""
    directory = tmp_path_factory.mktemp("bin")
    os.symlink(meshpeer_binary(), directory / "meshpeer")
    return directory
