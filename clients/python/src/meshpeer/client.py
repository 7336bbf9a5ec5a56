"""``Client`` (blocking) and ``AsyncClient`` (asyncio) for a MeshPeer node's local API."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, TypeVar

import httpx

from . import _calls as calls
from .endpoint import Endpoint, PathLike
from .errors import NOT_RUNNING, MeshPeerError
from .models import JSON, AgentSummary, Contact, Knock, MessagePage, NodeEvent, NodeStatus, SentMessage

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
#: Longer than the node's 15 s keep-alive: a silent event stream this long is a dead connection.
EVENT_READ_TIMEOUT = 45.0
_FIRST_DELAY = 0.2
_MAX_DELAY = 2.0
_DECIDED = ("accepted", "rejected")


class _Base:
    def __init__(
        self,
        home: Optional[PathLike] = None,
        *,
        url: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if (url is None) != (token is None):
            raise ValueError("give both url and token, or neither (then they come from the data directory)")
        self._home = home
        self._fixed = Endpoint(url.rstrip("/"), token) if url is not None and token is not None else None
        self._endpoint: Optional[Endpoint] = self._fixed
        self._timeout = timeout

    def endpoint(self, refresh: bool = False) -> Endpoint:
        """The node's URL and token: given to the constructor, else read from the data directory (again when
        ``refresh``, as after a restart, when the node may listen on another port)."""
        if self._fixed is not None:
            return self._fixed
        if refresh or self._endpoint is None:
            self._endpoint = Endpoint.from_home(self._home)
        return self._endpoint

    def _token_rotated(self, used: Endpoint) -> bool:
        """After a 401: whether the data directory now holds another token than the one just refused (the
        owner rotated it). Never true for a client given its token explicitly."""
        if self._fixed is not None:
            return False
        try:
            current = self.endpoint(refresh=True)
        except MeshPeerError:
            return False
        return current.token != used.token

    def _headers(self, endpoint: Endpoint, events: bool = False) -> Dict[str, str]:
        headers = {"Authorization": f"Bearer {endpoint.token}"}
        if events:
            headers["Accept"] = "text/event-stream"
        return headers

    def _request(self, endpoint: Endpoint, call: "calls.Call[Any]") -> Dict[str, Any]:
        options: Dict[str, Any] = {
            "method": call.method,
            "url": endpoint.url + call.path,
            "headers": self._headers(endpoint),
            "timeout": call.timeout if call.timeout is not None else self._timeout,
        }
        if call.params is not None:
            options["params"] = call.params
        if call.body is not None:
            options["json"] = call.body
        return options

    @staticmethod
    def _parse(response: httpx.Response, call: "calls.Call[T]") -> T:
        if response.status_code >= 400:
            raise calls.error_from(response)
        return call.parse(response)

    @staticmethod
    def _unreachable(endpoint: Endpoint, error: Exception) -> MeshPeerError:
        return MeshPeerError(
            NOT_RUNNING, f"the node at {endpoint.url} does not answer ({error}); start one with `meshpeer run`"
        )

    @staticmethod
    def _transport(error: httpx.TransportError) -> MeshPeerError:
        if isinstance(error, httpx.TimeoutException):
            return MeshPeerError("timeout", f"the node did not answer in time ({type(error).__name__})")
        return MeshPeerError("unavailable", f"the connection to the node failed: {error!r}")

    def _final(self, error: Optional[Exception]) -> MeshPeerError:
        if isinstance(error, MeshPeerError):
            return error
        if isinstance(error, httpx.TransportError):
            return self._transport(error)
        return MeshPeerError("unavailable", f"the event stream failed: {error!r}")

    def _gave_up(self, seconds: float, last: Optional[Exception]) -> MeshPeerError:
        return MeshPeerError(
            NOT_RUNNING,
            f"the event stream could not reconnect for {seconds:.0f} s (last error: {last}); "
            "is the node running? start one with `meshpeer run`",
        )


class Client(_Base):
    """A blocking client. Use it as a context manager, or call ``close()``.

    With no arguments it finds the node the way the CLI does: ``home``, else ``$MESHPEER_HOME``, else
    ``~/.meshpeer``. Every method raises ``MeshPeerError`` on failure.
    """

    def __init__(
        self,
        home: Optional[PathLike] = None,
        *,
        url: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(home, url=url, token=token, timeout=timeout)
        self._http = httpx.Client(trust_env=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, call: "calls.Call[T]") -> T:
        endpoint = self.endpoint()
        try:
            try:
                response = self._http.request(**self._request(endpoint, call))
            except httpx.ConnectError:
                # Nothing was sent: the node may have restarted on another port. Look again, once.
                endpoint = self.endpoint(refresh=True)
                response = self._http.request(**self._request(endpoint, call))
            if response.status_code == 401 and self._token_rotated(endpoint):
                # The owner rotated the token (`meshpeer token rotate`): read the new one and try once more.
                endpoint = self.endpoint()
                response = self._http.request(**self._request(endpoint, call))
        except httpx.ConnectError as error:
            raise self._unreachable(endpoint, error) from None
        except httpx.TransportError as error:
            raise self._transport(error) from None
        return self._parse(response, call)

    def status(self) -> NodeStatus:
        """The node's identity, DHT, relays, outbox, inbox, knocks and contacts."""
        return self._call(calls.status())

    def find(self, capability: Optional[str] = None, *, did: Optional[str] = None) -> List[AgentSummary]:
        """Agents offering a capability (a skill tag), or the agent with a DID; give exactly one."""
        return self._call(calls.find(capability, did))

    def get_agent(self, did: str) -> AgentSummary:
        """The agent with this DID and its verified card (``not_found`` when the DHT has no record of it)."""
        found = self.find(did=did)
        if not found:
            raise MeshPeerError("not_found", f"no agent {did} in the DHT", 404)
        return found[0]

    def knocks(self) -> List[Knock]:
        """Knocks sent and received, oldest first."""
        return self._call(calls.knocks())

    def knock(self, to: str, intent: str, purpose: str, *, introduced_by: Optional[str] = None) -> Knock:
        """First contact: asks ``to`` for contact, saying what you want (``intent``) and why (``purpose``)."""
        return self._call(calls.knock(to, intent, purpose, introduced_by))

    def approve(self, knock_id: str, reason: Optional[str] = None) -> Knock:
        """Accepts a knock held for the owner; the sender becomes a contact."""
        return self._call(calls.decide(knock_id, True, reason))

    def deny(self, knock_id: str, reason: Optional[str] = None) -> Knock:
        """Refuses a knock held for the owner."""
        return self._call(calls.decide(knock_id, False, reason))

    def wait_for_knock(self, knock_id: str, timeout: float = 60.0, interval: float = 0.5) -> Knock:
        """Polls until the knock is accepted or rejected; raises ``MeshPeerError`` (``timeout``) after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [k for k in self.knocks() if k.id == knock_id]
            if not found:
                raise MeshPeerError("not_found", f"no knock {knock_id}", 404)
            if found[0].state in _DECIDED:
                return found[0]
            if time.monotonic() >= deadline:
                raise MeshPeerError("timeout", f"knock {knock_id} is still {found[0].state} after {timeout:g} s")
            time.sleep(interval)

    def send(
        self,
        to: str,
        intent: str,
        body: JSON,
        *,
        in_reply_to: Optional[str] = None,
        expires_in_seconds: Optional[int] = None,
    ) -> SentMessage:
        """Sends a typed message to a contact; returns once it is stored (encrypted) in the outbox."""
        return self._call(calls.send(to, intent, body, in_reply_to, expires_in_seconds))

    def send_text(self, to: str, text: str, *, in_reply_to: Optional[str] = None) -> SentMessage:
        """Sends a ``chat.message`` whose body is ``{"text": text}``."""
        return self.send(to, "chat.message", {"text": text}, in_reply_to=in_reply_to)

    def messages(self, after: int = 0, *, limit: Optional[int] = None, wait: Optional[float] = None) -> MessagePage:
        """Received messages after the cursor ``after``, oldest first; with ``wait`` (seconds, at most 60) the
        node holds the request until one arrives. Pass the page's ``cursor`` as ``after`` next time."""
        return self._call(calls.messages(after, limit, wait, self._timeout))

    def sent(self, message_id: str) -> SentMessage:
        """A message this node sent, and its delivery state."""
        return self._call(calls.sent(message_id))

    def contacts(self) -> List[Contact]:
        """Agents this node may message."""
        return self._call(calls.contacts())

    def rotate_knock_token(self) -> Dict[str, str]:
        """Publish a new knock token (the owner's answer to a flood); ``previous_valid_until`` says how long the
        old one is still accepted."""
        return self._call(calls.rotate_knock_token())

    def rotate_api_token(self) -> Dict[str, Any]:
        """Replace the local API token (a leaked one is refused at once); this client reads the new one from the
        data directory on its next call."""
        return self._call(calls.rotate_api_token())

    def audit(self, after: int = 0, limit: int = 100) -> Dict[str, Any]:
        """The owner's audit log after sequence number ``after``: ``{"entries": [...], "next": seq or None}``."""
        return self._call(calls.audit(after, limit))

    def verify_audit(self) -> Dict[str, Any]:
        """Whether the audit log's hash chain verifies; ``first_bad_seq`` and ``reason`` name what broke it."""
        return self._call(calls.verify_audit())

    def breaker(self) -> Dict[str, Any]:
        """The circuit breaker: ``state`` is ``closed`` or ``tripped`` (nothing is sent)."""
        return self._call(calls.breaker())

    def trip_breaker(self, reason: str) -> Dict[str, Any]:
        """Stop every send at once (the owner's kill switch); sends then fail with ``forbidden``."""
        return self._call(calls.trip_breaker(reason))

    def reset_breaker(self) -> Dict[str, Any]:
        """Let the agent send again; what was queued leaves at once."""
        return self._call(calls.reset_breaker())

    def metrics(self) -> str:
        """The node's metrics in the Prometheus text format."""
        return self._call(calls.metrics())

    def events(
        self, after: Optional[int] = 0, *, reconnect: bool = True, reconnect_timeout: float = 60.0
    ) -> Iterator[NodeEvent]:
        """The node's events, as ``AsyncClient.events`` describes, for blocking code."""
        resume = calls.Resume(after)
        failing_since: Optional[float] = None
        last_error: Optional[Exception] = None
        delay = _FIRST_DELAY
        refresh = False
        while True:
            try:
                endpoint = self.endpoint(refresh=refresh)
                timeout = httpx.Timeout(self._timeout, read=EVENT_READ_TIMEOUT)
                with self._http.stream(
                    "GET", endpoint.url + "/v1/events", headers=self._headers(endpoint, True), timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        response.read()
                        raise calls.error_from(response)
                    failing_since, delay = None, _FIRST_DELAY
                    if resume.cursor is None:
                        resume.cursor = self._end_cursor()
                    yield from self._catch_up(resume)
                    decoder = calls.EventDecoder()
                    for line in response.iter_lines():
                        event = decoder.feed(line)
                        if event is None:
                            continue
                        if resume.needs_catch_up(event):
                            yield from self._catch_up(resume)
                        if resume.accept(event):
                            yield event
                last_error = MeshPeerError(NOT_RUNNING, "the node ended the event stream (it is stopping)")
            except MeshPeerError as error:
                if error.code not in (NOT_RUNNING, "unavailable"):
                    raise
                last_error = error
            except httpx.TransportError as error:
                last_error = error
            if not reconnect:
                raise self._final(last_error)
            now = time.monotonic()
            failing_since = failing_since if failing_since is not None else now
            if now - failing_since > reconnect_timeout:
                raise self._gave_up(reconnect_timeout, last_error)
            time.sleep(delay)
            delay, refresh = min(delay * 2, _MAX_DELAY), True

    def _catch_up(self, resume: calls.Resume) -> Iterator[NodeEvent]:
        while resume.cursor is not None:
            page = self.messages(resume.cursor, limit=500)
            for message in page.messages:
                event = NodeEvent.replay(message)
                if resume.accept(event):
                    yield event
            if not page.messages:
                return

    def _end_cursor(self) -> int:
        cursor = 0
        while True:
            page = self.messages(cursor, limit=500)
            if not page.messages:
                return cursor
            cursor = page.cursor


class AsyncClient(_Base):
    """An asyncio client: ``async with AsyncClient() as node: ...``. The same methods as ``Client``, awaited,
    and ``events()``, an async iterator of the node's events that survives node restarts."""

    def __init__(
        self,
        home: Optional[PathLike] = None,
        *,
        url: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(home, url=url, token=token, timeout=timeout)
        self._http = httpx.AsyncClient(trust_env=False)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _call(self, call: "calls.Call[T]") -> T:
        endpoint = self.endpoint()
        try:
            try:
                response = await self._http.request(**self._request(endpoint, call))
            except httpx.ConnectError:
                endpoint = self.endpoint(refresh=True)
                response = await self._http.request(**self._request(endpoint, call))
            if response.status_code == 401 and self._token_rotated(endpoint):
                endpoint = self.endpoint()
                response = await self._http.request(**self._request(endpoint, call))
        except httpx.ConnectError as error:
            raise self._unreachable(endpoint, error) from None
        except httpx.TransportError as error:
            raise self._transport(error) from None
        return self._parse(response, call)

    async def status(self) -> NodeStatus:
        return await self._call(calls.status())

    async def find(self, capability: Optional[str] = None, *, did: Optional[str] = None) -> List[AgentSummary]:
        return await self._call(calls.find(capability, did))

    async def get_agent(self, did: str) -> AgentSummary:
        found = await self.find(did=did)
        if not found:
            raise MeshPeerError("not_found", f"no agent {did} in the DHT", 404)
        return found[0]

    async def knocks(self) -> List[Knock]:
        return await self._call(calls.knocks())

    async def knock(self, to: str, intent: str, purpose: str, *, introduced_by: Optional[str] = None) -> Knock:
        return await self._call(calls.knock(to, intent, purpose, introduced_by))

    async def approve(self, knock_id: str, reason: Optional[str] = None) -> Knock:
        return await self._call(calls.decide(knock_id, True, reason))

    async def deny(self, knock_id: str, reason: Optional[str] = None) -> Knock:
        return await self._call(calls.decide(knock_id, False, reason))

    async def wait_for_knock(self, knock_id: str, timeout: float = 60.0, interval: float = 0.5) -> Knock:
        deadline = time.monotonic() + timeout
        while True:
            found = [k for k in await self.knocks() if k.id == knock_id]
            if not found:
                raise MeshPeerError("not_found", f"no knock {knock_id}", 404)
            if found[0].state in _DECIDED:
                return found[0]
            if time.monotonic() >= deadline:
                raise MeshPeerError("timeout", f"knock {knock_id} is still {found[0].state} after {timeout:g} s")
            await asyncio.sleep(interval)

    async def send(
        self,
        to: str,
        intent: str,
        body: JSON,
        *,
        in_reply_to: Optional[str] = None,
        expires_in_seconds: Optional[int] = None,
    ) -> SentMessage:
        return await self._call(calls.send(to, intent, body, in_reply_to, expires_in_seconds))

    async def send_text(self, to: str, text: str, *, in_reply_to: Optional[str] = None) -> SentMessage:
        return await self.send(to, "chat.message", {"text": text}, in_reply_to=in_reply_to)

    async def messages(
        self, after: int = 0, *, limit: Optional[int] = None, wait: Optional[float] = None
    ) -> MessagePage:
        return await self._call(calls.messages(after, limit, wait, self._timeout))

    async def sent(self, message_id: str) -> SentMessage:
        return await self._call(calls.sent(message_id))

    async def contacts(self) -> List[Contact]:
        return await self._call(calls.contacts())

    async def rotate_knock_token(self) -> Dict[str, str]:
        return await self._call(calls.rotate_knock_token())

    async def rotate_api_token(self) -> Dict[str, Any]:
        return await self._call(calls.rotate_api_token())

    async def audit(self, after: int = 0, limit: int = 100) -> Dict[str, Any]:
        return await self._call(calls.audit(after, limit))

    async def verify_audit(self) -> Dict[str, Any]:
        return await self._call(calls.verify_audit())

    async def breaker(self) -> Dict[str, Any]:
        return await self._call(calls.breaker())

    async def trip_breaker(self, reason: str) -> Dict[str, Any]:
        return await self._call(calls.trip_breaker(reason))

    async def reset_breaker(self) -> Dict[str, Any]:
        return await self._call(calls.reset_breaker())

    async def metrics(self) -> str:
        return await self._call(calls.metrics())

    async def events(
        self, after: Optional[int] = 0, *, reconnect: bool = True, reconnect_timeout: float = 60.0
    ) -> AsyncIterator[NodeEvent]:
        """The node's events (``message``, ``receipt``, ``knock``, ``delivery_failed``) as they happen, each
        message exactly once and in cursor order.

        ``after`` is the last message cursor you handled: the inbox's messages after it come first (as events
        with ``replayed=True``), then live events. ``0`` (the default) starts from the beginning of the inbox;
        ``None`` starts from now. When the connection drops (the node restarts, or stops and comes back within
        ``reconnect_timeout`` seconds) the iterator re-reads the data directory, reconnects, and reads
        ``GET /v1/messages?after=<last cursor>`` to catch up, so no message is lost or repeated. Receipts and
        knock decisions that happen while disconnected are not replayed: read ``sent()`` and ``knocks()``.
        It raises ``MeshPeerError`` (``not_running``) once reconnecting has failed for ``reconnect_timeout``
        seconds, or at the first failure when ``reconnect`` is False.
        """
        resume = calls.Resume(after)
        failing_since: Optional[float] = None
        last_error: Optional[Exception] = None
        delay = _FIRST_DELAY
        refresh = False
        while True:
            try:
                endpoint = self.endpoint(refresh=refresh)
                timeout = httpx.Timeout(self._timeout, read=EVENT_READ_TIMEOUT)
                async with self._http.stream(
                    "GET", endpoint.url + "/v1/events", headers=self._headers(endpoint, True), timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                        raise calls.error_from(response)
                    # The node subscribed us before it sent the head: from here on nothing slips past.
                    failing_since, delay = None, _FIRST_DELAY
                    if resume.cursor is None:
                        resume.cursor = await self._end_cursor()
                    async for replayed in self._catch_up(resume):
                        yield replayed
                    decoder = calls.EventDecoder()
                    async for line in response.aiter_lines():
                        event = decoder.feed(line)
                        if event is None:
                            continue
                        if resume.needs_catch_up(event):
                            async for replayed in self._catch_up(resume):
                                yield replayed
                        if resume.accept(event):
                            yield event
                last_error = MeshPeerError(NOT_RUNNING, "the node ended the event stream (it is stopping)")
            except MeshPeerError as error:
                if error.code not in (NOT_RUNNING, "unavailable"):
                    raise
                last_error = error
            except httpx.TransportError as error:
                last_error = error
            if not reconnect:
                raise self._final(last_error)
            now = time.monotonic()
            failing_since = failing_since if failing_since is not None else now
            if now - failing_since > reconnect_timeout:
                raise self._gave_up(reconnect_timeout, last_error)
            await asyncio.sleep(delay)
            delay, refresh = min(delay * 2, _MAX_DELAY), True

    async def _catch_up(self, resume: calls.Resume) -> AsyncIterator[NodeEvent]:
        while resume.cursor is not None:
            page = await self.messages(resume.cursor, limit=500)
            for message in page.messages:
                event = NodeEvent.replay(message)
                if resume.accept(event):
                    yield event
            if not page.messages:
                return

    async def _end_cursor(self) -> int:
        cursor = 0
        while True:
            page = await self.messages(cursor, limit=500)
            if not page.messages:
                return cursor
            cursor = page.cursor
