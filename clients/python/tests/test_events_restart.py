"""The event iterator survives a restart of its node: it re-reads the data directory, reconnects, and catches
up by cursor, so every message arrives exactly once and in order."""

from __future__ import annotations

import asyncio
from typing import List

from conftest import eventually
from mesh import Mesh

from meshpeer import AsyncClient, Client, Endpoint, MeshPeerError, NodeEvent


def test_events_survive_a_node_restart(mesh: Mesh) -> None:
    dot_did = mesh.dids["dot"]
    with Client(mesh.home("cy")) as cy:
        # dot's owner accepts chat from anyone, so this knock is accepted without a person.
        eventually(lambda: cy.find(did=dot_did), what="dot's record")
        knock = cy.knock(dot_did, "chat.message", "Say hello to a summariser")
        assert cy.wait_for_knock(knock.id, timeout=60).state == "accepted"
    asyncio.run(_restart(mesh))


async def _restart(mesh: Mesh) -> None:
    dot_did, cy_did = mesh.dids["dot"], mesh.dids["cy"]
    received: List[NodeEvent] = []
    async with AsyncClient(mesh.home("cy")) as cy, AsyncClient(mesh.home("dot")) as dot:
        start = (await dot.messages(0, limit=500)).cursor
        old_url = dot.endpoint().url

        async def listen() -> None:
            async for event in dot.events(after=start, reconnect_timeout=90):
                if event.type == "message":
                    received.append(event)

        listener = asyncio.create_task(listen())
        try:
            await cy.send_text(dot_did, "one")
            await _until(lambda: len(received) >= 1, "the first message")

            assert await asyncio.to_thread(mesh.stop, "dot") == 0  # SIGTERM: a clean stop
            # Sent while dot is down: the relay holds them until dot comes back.
            await cy.send_text(dot_did, "two")
            await cy.send_text(dot_did, "three")
            await asyncio.sleep(1.0)
            await asyncio.to_thread(mesh.start_agent, "dot")
            await cy.send_text(dot_did, "four")
            await _until(lambda: len(received) >= 4, "all four messages after the restart", 90)
            # The iterator is connected again (it caught up): the next message comes live over the stream.
            await cy.send_text(dot_did, "five")
            await _until(lambda: len(received) >= 5, "the fifth message, live")
            assert not received[4].replayed
            await asyncio.sleep(1.0)  # nothing more may come (no duplicates)

            texts = [event.message.text for event in received if event.message is not None]
            assert texts == ["one", "two", "three", "four", "five"]
            cursors = [event.cursor for event in received]
            assert cursors == sorted(set(cursors))  # type: ignore[type-var]
            assert all(event.message is not None and event.message.sender == cy_did for event in received)
            # The client followed the node to wherever it listens now (api.json was read again).
            assert dot.endpoint().url == Endpoint.from_home(mesh.home("dot")).url
            print(f"dot's API moved from {old_url} to {dot.endpoint().url}; replayed: {[e.replayed for e in received]}")
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)


async def _until(check, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


def test_sync_events_read_backlog_then_stop_without_reconnect(mesh: Mesh) -> None:
    """The blocking iterator gives the inbox's backlog first (replayed) and then live events."""
    with Client(mesh.home("dot")) as dot:
        backlog = dot.messages(0, limit=500).messages
        assert backlog, "the restart test leaves messages in dot's inbox"
        events = dot.events(after=0)
        first = [next(events) for _ in backlog]
        assert [e.cursor for e in first] == [m.cursor for m in backlog]
        assert all(e.replayed for e in first)
        events.close()


def test_events_without_a_node_fail_clearly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        async with AsyncClient(tmp_path) as client:
            async for _ in client.events(reconnect=False):
                pass

    try:
        asyncio.run(run())
    except MeshPeerError as error:
        assert error.code == "not_running" and "meshpeer run" in error.message
    else:
        raise AssertionError("expected MeshPeerError")
