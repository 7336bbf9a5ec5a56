"""What each endpoint sends and how its answer is read, shared by the sync and async clients."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Generic, List, Optional, TypeVar
from urllib.parse import quote

import httpx

from .errors import MeshPeerError
from .models import JSON, AgentSummary, Contact, Knock, MessagePage, NodeEvent, NodeStatus, SentMessage

T = TypeVar("T")

#: Largest ``data:`` payload of one event the client accepts (the node's messages are at most 256 KiB).
MAX_EVENT_BYTES = 1 << 20


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Optional[Dict[str, Any]] = None
    body: Optional[Dict[str, Any]] = None
    timeout: Optional[float] = None


def _json(response: httpx.Response) -> Any:
    return response.json()


def segment(value: str) -> str:
    return quote(value, safe="")


def status() -> Call[NodeStatus]:
    return Call("GET", "/v1/status", lambda r: NodeStatus.from_json(_json(r)))


def find(capability: Optional[str], did: Optional[str]) -> Call[List[AgentSummary]]:
    if (capability is None) == (did is None):
        raise ValueError("give exactly one of capability and did")
    params = {"capability": capability} if capability is not None else {"did": did}
    return Call("GET", "/v1/find", lambda r: [AgentSummary.from_json(a) for a in _json(r)], params=params)


def knocks() -> Call[List[Knock]]:
    return Call("GET", "/v1/knocks", lambda r: [Knock.from_json(k) for k in _json(r)])


def knock(to: str, intent: str, purpose: str, introduced_by: Optional[str]) -> Call[Knock]:
    body: Dict[str, Any] = {"to": to, "intent": intent, "purpose": purpose}
    if introduced_by is not None:
        body["introduced_by"] = introduced_by
    return Call("POST", "/v1/knocks", lambda r: Knock.from_json(_json(r)), body=body)


def decide(knock_id: str, accept: bool, reason: Optional[str]) -> Call[Knock]:
    path = f"/v1/knocks/{segment(knock_id)}/{'approve' if accept else 'deny'}"
    body = {"reason": reason} if reason is not None else {}
    return Call("POST", path, lambda r: Knock.from_json(_json(r)), body=body)


def send(
    to: str, intent: str, body: JSON, in_reply_to: Optional[str], expires_in_seconds: Optional[int]
) -> Call[SentMessage]:
    request: Dict[str, Any] = {"to": to, "intent": intent, "body": body}
    if in_reply_to is not None:
        request["in_reply_to"] = in_reply_to
    if expires_in_seconds is not None:
        request["expires_in_seconds"] = expires_in_seconds
    return Call("POST", "/v1/messages", lambda r: SentMessage.from_json(_json(r)), body=request)


def messages(after: int, limit: Optional[int], wait: Optional[float], timeout: float) -> Call[MessagePage]:
    params: Dict[str, Any] = {"after": after}
    if limit is not None:
        params["limit"] = limit
    if wait is not None:
        params["wait"] = wait
    return Call(
        "GET",
        "/v1/messages",
        lambda r: MessagePage.from_json(_json(r)),
        params=params,
        timeout=timeout + (wait or 0),
    )


def sent(message_id: str) -> Call[SentMessage]:
    return Call("GET", f"/v1/messages/sent/{segment(message_id)}", lambda r: SentMessage.from_json(_json(r)))


def contacts() -> Call[List[Contact]]:
    return Call("GET", "/v1/contacts", lambda r: [Contact.from_json(c) for c in _json(r)])


def rotate_api_token() -> Call[Dict[str, Any]]:
    return Call("POST", "/v1/token/rotate", _json)


def rotate_knock_token() -> Call[Dict[str, str]]:
    return Call("POST", "/v1/knock-token/rotate", lambda r: {k: str(v) for k, v in _json(r).items()})


def audit(after: int, limit: int) -> Call[Dict[str, Any]]:
    return Call("GET", "/v1/audit", _json, params={"after": after, "limit": limit})


def verify_audit() -> Call[Dict[str, Any]]:
    return Call("GET", "/v1/audit/verify", _json)


def breaker() -> Call[Dict[str, Any]]:
    return Call("GET", "/v1/breaker", _json)


def trip_breaker(reason: str) -> Call[Dict[str, Any]]:
    return Call("POST", "/v1/breaker/trip", _json, body={"reason": reason})


def reset_breaker() -> Call[Dict[str, Any]]:
    return Call("POST", "/v1/breaker/reset", _json, body={})


def metrics() -> Call[str]:
    return Call("GET", "/metrics", lambda r: r.text)


def error_from(response: httpx.Response) -> MeshPeerError:
    """The node's ``{"error": {"code", "message"}}`` as an exception (any other body: code ``internal``)."""
    try:
        detail = response.json()["error"]
        return MeshPeerError(str(detail["code"]), str(detail["message"]), response.status_code)
    except (ValueError, KeyError, TypeError):
        try:
            text = response.text[:200]
        except httpx.ResponseNotRead:
            text = ""
        return MeshPeerError("internal", f"unexpected answer from the node: {text!r}", response.status_code)


class EventDecoder:
    """Server-sent events, one line at a time: returns a ``NodeEvent`` when a blank line ends one."""

    def __init__(self) -> None:
        self._data: List[str] = []
        self._size = 0

    def feed(self, line: str) -> Optional[NodeEvent]:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data:
                return None
            payload = "\n".join(self._data)
            self._data, self._size = [], 0
            return NodeEvent.from_json(json.loads(payload))
        if line.startswith("data:"):
            value = line[5:]
            value = value[1:] if value.startswith(" ") else value
            self._size += len(value)
            if self._size > MAX_EVENT_BYTES:
                raise MeshPeerError("internal", "an event from the node is larger than 1 MiB")
            self._data.append(value)
        # `event:` repeats the JSON's type, `id:` its cursor; lines starting with `:` are keep-alive comments.
        return None


class Resume:
    """The cursor logic of a resuming event stream: which events to pass on, and when to catch up."""

    def __init__(self, after: Optional[int]) -> None:
        self.cursor = after

    def needs_catch_up(self, event: NodeEvent) -> bool:
        return event.dropped > 0 and self.cursor is not None

    def accept(self, event: NodeEvent) -> bool:
        """False for a message event the caller already had (its cursor is not beyond the last one)."""
        if event.type != "message" or event.cursor is None:
            return True
        if self.cursor is not None and event.cursor <= self.cursor:
            return False
        self.cursor = event.cursor
        return True
