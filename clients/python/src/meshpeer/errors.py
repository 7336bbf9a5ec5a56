"""The one exception the client raises."""

from __future__ import annotations


class MeshPeerError(Exception):
    """A request the node refused, or a node that could not be reached.

    ``code`` is the API's stable error code (``bad_request``, ``unauthorized``, ``forbidden``, ``not_found``,
    ``conflict``, ``too_large``, ``rate_limited``, ``unavailable``, ``timeout``, ``method_not_allowed``,
    ``internal``), or ``not_running`` when no node answers on the data directory. ``status`` is the HTTP status
    (0 when there was no answer). ``message`` says what to fix.
    """

    def __init__(self, code: str, message: str, status: int = 0) -> None:
        super().__init__(f"{code}: {message}" if status == 0 else f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.status = status


NOT_RUNNING = "not_running"
