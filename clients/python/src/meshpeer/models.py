"""The local API's models (docs/openapi.yaml), as dataclasses built from the node's JSON.

Fields the node leaves out are ``None``. Timestamps are timezone-aware ``datetime`` values. Fields this version
does not know are ignored, so a newer node does not break an older client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

JSON = Any
"""Any JSON value, as ``json.loads`` returns it."""


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 time such as ``2026-12-04T21:11:29.085Z``."""
    if value is None:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    return datetime.fromisoformat(text)


def _time(data: Mapping[str, Any], key: str) -> datetime:
    parsed = parse_time(data[key])
    assert parsed is not None
    return parsed


@dataclass(frozen=True)
class RelayStatus:
    address: str
    state: str
    """``ready``, ``connecting`` or ``down``."""
    home: bool
    round_trip_ms: Optional[float] = None
    last_error: Optional[str] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RelayStatus":
        return cls(
            address=data["address"],
            state=data["state"],
            home=data["home"],
            round_trip_ms=data.get("round_trip_ms"),
            last_error=data.get("last_error"),
        )


@dataclass(frozen=True)
class NodeStatus:
    did: str
    node_id: str
    version: str
    uptime_seconds: int
    dht_contacts: int
    published: bool
    """The node's signed record reached at least one DHT node, so others can find it."""
    relays: List[RelayStatus]
    outbox_pending: int
    inbox_count: int
    knocks_pending: int
    contacts: int
    api_url: Optional[str] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "NodeStatus":
        return cls(
            did=data["did"],
            node_id=data["node_id"],
            version=data["version"],
            uptime_seconds=data["uptime_seconds"],
            dht_contacts=data["dht_contacts"],
            published=data["published"],
            relays=[RelayStatus.from_json(relay) for relay in data["relays"]],
            outbox_pending=data["outbox_pending"],
            inbox_count=data["inbox_count"],
            knocks_pending=data["knocks_pending"],
            contacts=data["contacts"],
            api_url=data.get("api_url"),
        )


@dataclass(frozen=True)
class AgentSummary:
    """An agent found in the DHT; its signed record was verified by the node."""

    did: str
    card: Dict[str, JSON]
    """The compact A2A agent card (name, description, skills, ...)."""
    home_relays: List[str]
    sequence: int
    expires_at: datetime
    relationship: str
    """``contact`` (you may message it), ``knocked`` (a knock of yours is pending) or ``none``."""

    @property
    def name(self) -> Optional[str]:
        name = self.card.get("name")
        return name if isinstance(name, str) else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AgentSummary":
        card = data["card"]
        return cls(
            did=data["did"],
            card=card if isinstance(card, dict) else {},
            home_relays=list(data["home_relays"]),
            sequence=data["sequence"],
            expires_at=_time(data, "expires_at"),
            relationship=data["relationship"],
        )


@dataclass(frozen=True)
class Knock:
    """A knock sent (``outgoing``) or received (``incoming``), and where it stands."""

    id: str
    direction: str
    peer: str
    """The other agent's DID."""
    intent: str
    purpose: str
    state: str
    """``pending``, ``held`` (for the owner to decide), ``accepted`` or ``rejected``."""
    created_at: datetime
    reason: Optional[str] = None
    introduced_by: Optional[str] = None
    decided_at: Optional[datetime] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Knock":
        return cls(
            id=data["id"],
            direction=data["direction"],
            peer=data["peer"],
            intent=data["intent"],
            purpose=data["purpose"],
            state=data["state"],
            created_at=_time(data, "created_at"),
            reason=data.get("reason"),
            introduced_by=data.get("introduced_by"),
            decided_at=parse_time(data.get("decided_at")),
        )


@dataclass(frozen=True)
class SentMessage:
    """A message this node sent, and its delivery state."""

    id: str
    to: str
    intent: str
    state: str
    """``queued``, ``relayed``, ``delivered``, ``expired`` or ``failed``."""
    created_at: datetime
    expires_at: datetime
    attempts: int
    delivered_at: Optional[datetime] = None
    last_error: Optional[str] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SentMessage":
        return cls(
            id=data["id"],
            to=data["to"],
            intent=data["intent"],
            state=data["state"],
            created_at=_time(data, "created_at"),
            expires_at=_time(data, "expires_at"),
            attempts=data["attempts"],
            delivered_at=parse_time(data.get("delivered_at")),
            last_error=data.get("last_error"),
        )


@dataclass(frozen=True)
class InboxMessage:
    """A received message. ``cursor`` is its place in the inbox: pass it as ``after`` to read what follows."""

    cursor: int
    id: str
    sender: str
    """The sender's DID (``from`` in the JSON)."""
    intent: str
    body: JSON
    created_at: datetime
    received_at: datetime
    in_reply_to: Optional[str] = None
    expires_at: Optional[datetime] = None

    @property
    def text(self) -> Optional[str]:
        """The text of a ``chat.message`` (or any body with a string ``text``)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("text"), str):
            return str(self.body["text"])
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "InboxMessage":
        return cls(
            cursor=data["cursor"],
            id=data["id"],
            sender=data["from"],
            intent=data["intent"],
            body=data["body"],
            created_at=_time(data, "created_at"),
            received_at=_time(data, "received_at"),
            in_reply_to=data.get("in_reply_to"),
            expires_at=parse_time(data.get("expires_at")),
        )


@dataclass(frozen=True)
class MessagePage:
    messages: List[InboxMessage]
    cursor: int
    """Pass as ``after`` next time (the last message's cursor, or the request's when the page is empty)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MessagePage":
        return cls(
            messages=[InboxMessage.from_json(message) for message in data["messages"]],
            cursor=data["cursor"],
        )


@dataclass(frozen=True)
class Contact:
    """An agent whose knock this node accepted, or who accepted this node's knock."""

    did: str
    since: datetime
    home_relays: List[str]
    name: Optional[str] = None
    last_message_at: Optional[datetime] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Contact":
        return cls(
            did=data["did"],
            since=_time(data, "since"),
            home_relays=list(data["home_relays"]),
            name=data.get("name"),
            last_message_at=parse_time(data.get("last_message_at")),
        )


@dataclass(frozen=True)
class NodeEvent:
    """One event of ``GET /v1/events``: ``message``, ``receipt``, ``knock`` or ``delivery_failed``.

    ``dropped`` counts live events this subscriber missed just before this one (the client's event iterator
    catches up on messages by cursor itself). ``replayed`` is True for a message the iterator read from the inbox
    (``GET /v1/messages``) rather than from the live stream: one sent while it was reconnecting, for example.
    """

    type: str
    dropped: int = 0
    cursor: Optional[int] = None
    message: Optional[InboxMessage] = None
    sent: Optional[SentMessage] = None
    knock: Optional[Knock] = None
    replayed: bool = field(default=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "NodeEvent":
        message = data.get("message")
        sent = data.get("sent")
        knock = data.get("knock")
        return cls(
            type=data["type"],
            dropped=data.get("dropped", 0),
            cursor=data.get("cursor"),
            message=InboxMessage.from_json(message) if message is not None else None,
            sent=SentMessage.from_json(sent) if sent is not None else None,
            knock=Knock.from_json(knock) if knock is not None else None,
        )

    @classmethod
    def replay(cls, message: InboxMessage) -> "NodeEvent":
        return cls(type="message", cursor=message.cursor, message=message, replayed=True)
