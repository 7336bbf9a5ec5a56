"""MeshPeer: a Python client for a MeshPeer node's local API.

    from meshpeer import Client

    with Client() as node:                      # finds the node like the CLI: --home, $MESHPEER_HOME, ~/.meshpeer
        lexi = node.find("legal-translation")[0]
        knock = node.knock(lexi.did, "task.request", "Translate a 3-page NDA into French")
        if node.wait_for_knock(knock.id).state == "accepted":
            node.send_text(lexi.did, "Hello!")

``AsyncClient`` has the same methods for asyncio, and ``events()``, an async iterator of the node's events that
reconnects and resumes by cursor. Every failure is a ``MeshPeerError`` with the API's ``code`` and ``message``.
"""

from .client import AsyncClient, Client
from .endpoint import Endpoint, resolve_home
from .errors import MeshPeerError
from .models import (
    AgentSummary,
    Contact,
    InboxMessage,
    Knock,
    MessagePage,
    NodeEvent,
    NodeStatus,
    RelayStatus,
    SentMessage,
)

__all__ = [
    "AgentSummary",
    "AsyncClient",
    "Client",
    "Contact",
    "Endpoint",
    "InboxMessage",
    "Knock",
    "MeshPeerError",
    "MessagePage",
    "NodeEvent",
    "NodeStatus",
    "RelayStatus",
    "SentMessage",
    "resolve_home",
]

__version__ = "0.1.0"
