"""Where the node's API is: the data directory's ``api.json`` (URL) and ``api-token`` (bearer token).

The data directory is the ``home`` argument, else ``$MESHPEER_HOME``, else ``~/.meshpeer``, as for the CLI.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Union

from .errors import NOT_RUNNING, MeshPeerError

PathLike = Union[str, "os.PathLike[str]"]


def resolve_home(home: Optional[PathLike] = None, environment: Optional[Mapping[str, str]] = None) -> Path:
    """The data directory: ``home``, else ``$MESHPEER_HOME``, else ``$HOME/.meshpeer`` (empty values skipped)."""
    env = os.environ if environment is None else environment
    if home is not None and str(home):
        return Path(home)
    if env.get("MESHPEER_HOME"):
        return Path(env["MESHPEER_HOME"])
    return Path(env.get("HOME") or ".") / ".meshpeer"


@dataclass(frozen=True)
class Endpoint:
    """The base URL of a node's local API and the bearer token it accepts."""

    url: str
    token: str

    @classmethod
    def from_home(cls, home: Optional[PathLike] = None) -> "Endpoint":
        """Reads the endpoint of the node running on the data directory.

        Raises ``MeshPeerError`` with code ``not_running`` when no node runs there (no ``api.json``, or its
        process has exited), saying to start one with ``meshpeer run``.
        """
        directory = resolve_home(home)
        start = "start one with `meshpeer run`"
        api_file = directory / "api.json"
        try:
            raw = api_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MeshPeerError(NOT_RUNNING, f"no MeshPeer node is running on {directory} ({start})") from None
        except OSError as error:
            raise MeshPeerError(NOT_RUNNING, f"cannot read {api_file}: {error} ({start})") from None
        try:
            document = json.loads(raw)
            url = document["url"]
            pid = int(document.get("pid", 0))
            if not isinstance(url, str):
                raise TypeError("url is not a string")
        except (ValueError, KeyError, TypeError):
            raise MeshPeerError(
                NOT_RUNNING, f"{api_file} is not a node's endpoint file; is a node starting? ({start})"
            ) from None
        if pid > 0 and not _alive(pid):
            raise MeshPeerError(
                NOT_RUNNING, f"no MeshPeer node is running on {directory}: process {pid} has exited ({start})"
            )
        token_file = directory / "api-token"
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise MeshPeerError(NOT_RUNNING, f"cannot read the API token {token_file}: {error}") from None
        return cls(url=url.rstrip("/"), token=token)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
