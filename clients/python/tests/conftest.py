"""Fixtures: one mesh of real processes for the session (bootstrap node, relay, four agents), stopped at the end
whatever happens."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest
from mesh import Mesh, running_mesh

T = TypeVar("T")

# Agents and their owners' knock policies.
AGENTS = {
    "ada": ("research", {"default": "hold"}),
    "ben": ("legal-translation", {"default": "hold"}),  # ben's owner decides every first contact
    "cy": ("code-review", {"default": "hold"}),
    "dot": ("summarise", {"default": "hold", "intents": {"chat.message": "accept"}}),
}


@pytest.fixture(scope="session")
def mesh() -> Iterator[Mesh]:
    with running_mesh("meshpeer-py-", AGENTS) as network:
        yield network


def eventually(check: Callable[[], T], timeout: float = 60.0, interval: float = 0.25, what: str = "") -> T:
    """Calls ``check`` until it returns a truthy value (returned) or ``timeout`` seconds pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = result
        except Exception as error:  # noqa: BLE001 - retried until the deadline, then reported
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}: last {last!r}")
