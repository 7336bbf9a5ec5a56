"""Two clients on two nodes hold a conversation: find, knock, approve, send, reply, receipts."""

from __future__ import annotations

import asyncio
from typing import List

import pytest
from conftest import eventually
from mesh import Mesh

from meshpeer import AsyncClient, Client, MeshPeerError, NodeEvent


def test_status_and_find(mesh: Mesh) -> None:
    with Client(mesh.home("ada")) as ada:
        status = ada.status()
        assert status.did == mesh.dids["ada"]
        assert status.relays and status.relays[0].address.startswith("ws://127.0.0.1:")
        eventually(lambda: ada.status().published, what="ada's record to be published")
        found = eventually(lambda: ada.find("legal-translation"), what="ben in the DHT")
        assert [agent.did for agent in found] == [mesh.dids["ben"]]
        assert found[0].name == "Ben" and found[0].relationship == "none"
        assert ada.get_agent(mesh.dids["ben"]).card["skills"][0]["id"] == "legal-translation"
        assert "# TYPE" in ada.metrics()


def test_the_owner_rotates_the_knock_token(mesh: Mesh) -> None:
    with Client(mesh.home("ada")) as ada:
        rotation = ada.rotate_knock_token()
        assert rotation["previous_valid_until"] > rotation["rotated_at"]


def test_the_owner_trips_and_resets_the_breaker_and_the_audit_log_verifies(mesh: Mesh) -> None:
    with Client(mesh.home("ada")) as ada:
        tripped = ada.trip_breaker("python client test")
        assert tripped["state"] == "tripped" and tripped["reason"] == "python client test"
        assert ada.breaker()["automatic"] is False
        with pytest.raises(MeshPeerError) as refused:
            ada.send(mesh.dids["ben"], "chat.message", {"text": "not while tripped"})
        assert refused.value.code == "forbidden" and "circuit breaker" in refused.value.message
        reset = ada.reset_breaker()
        assert reset["state"] == "closed" and reset["reason"] is None
        kinds = [entry["kind"] for entry in ada.audit(limit=1000)["entries"]]
        assert kinds[-2:] == ["breaker.tripped", "breaker.reset"]
        verdict = ada.verify_audit()
        assert verdict["ok"] is True and verdict["first_bad_seq"] is None


def test_a_stolen_api_token_stops_working_when_the_owner_rotates_it(mesh: Mesh) -> None:
    with Client(mesh.home("ada")) as owner:
        endpoint = owner.endpoint()
        with Client(url=endpoint.url, token=endpoint.token) as thief:
            assert thief.status().did == mesh.dids["ada"]
            rotation = owner.rotate_api_token()
            assert rotation["closed_event_streams"] >= 0
            with pytest.raises(MeshPeerError) as refused:
                thief.status()
            assert refused.value.code == "unauthorized"
        # The owner's client reads the new token from the data directory and goes on.
        assert owner.status().did == mesh.dids["ada"]
        assert owner.endpoint().token != endpoint.token


def test_two_clients_hold_a_conversation(mesh: Mesh) -> None:
    asyncio.run(_conversation(mesh))


async def _conversation(mesh: Mesh) -> None:
    ben_did = mesh.dids["ben"]
    async with AsyncClient(mesh.home("ada")) as ada, AsyncClient(mesh.home("ben")) as ben:
        ada_events: List[NodeEvent] = []

        async def collect() -> None:
            async for event in ada.events(after=None):
                ada_events.append(event)

        listener = asyncio.create_task(collect())
        try:
            await _eventually_async(lambda: ada.find(did=ben_did), "ben's record")
            knock = await ada.knock(ben_did, "task.request", "Translate a 2-page NDA into French")
            assert knock.state == "pending" and knock.direction == "outgoing"

            held = await _eventually_async(lambda: _held(ben, mesh.dids["ada"]), "the knock to be held for ben's owner")
            assert held.purpose == "Translate a 2-page NDA into French" and held.intent == "task.request"
            approved = await ben.approve(held.id, reason="Welcome")
            assert approved.state == "accepted"

            decided = await ada.wait_for_knock(knock.id, timeout=60)
            assert decided.state == "accepted" and decided.reason == "Welcome"
            assert [c.did for c in await ada.contacts()] == [ben_did]

            sent = await ada.send(ben_did, "chat.message", {"text": "Here is the NDA."})
            assert sent.state in ("queued", "relayed", "delivered")
            page = await _eventually_async(lambda: _nonempty(ben.messages(0, wait=5)), "ben to receive it")
            first = page.messages[0]
            assert (first.sender, first.intent, first.text) == (mesh.dids["ada"], "chat.message", "Here is the NDA.")

            reply = await ben.send_text(first.sender, "Got it, working on it.", in_reply_to=first.id)
            await _eventually_async(lambda: _delivered(ada, sent.id), "ada's message to be delivered (receipt)")
            await _eventually_async(lambda: _delivered(ben, reply.id), "ben's reply to be delivered")

            def has(kind: str, check: object) -> bool:
                return any(e.type == kind and check(e) for e in ada_events)  # type: ignore[operator]

            await _eventually_async(
                lambda: _true(has("message", lambda e: e.message.in_reply_to == first.id)), "the reply event"
            )
            assert has("knock", lambda e: e.knock.id == knock.id and e.knock.state == "accepted")
            assert has("receipt", lambda e: e.sent.id == sent.id)
            reply_event = next(e for e in ada_events if e.type == "message")
            assert reply_event.message is not None and reply_event.message.text == "Got it, working on it."
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)


async def _held(client: AsyncClient, sender: str):  # type: ignore[no-untyped-def]
    for knock in await client.knocks():
        if knock.direction == "incoming" and knock.peer == sender and knock.state == "held":
            return knock
    return None


async def _nonempty(page_call):  # type: ignore[no-untyped-def]
    page = await page_call
    return page if page.messages else None


async def _delivered(client: AsyncClient, message_id: str) -> bool:
    return (await client.sent(message_id)).state == "delivered"


async def _true(value: bool) -> bool:
    return value


async def _eventually_async(make, what: str, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: object = None
    while loop.time() < deadline:
        try:
            result = await make()
            if result:
                return result
            last = result
        except Exception as error:  # noqa: BLE001
            last = error
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}: last {last!r}")


def test_a_denied_knock_is_refused_and_sending_is_forbidden(mesh: Mesh) -> None:
    cy_did = mesh.dids["cy"]
    with Client(mesh.home("ada")) as ada, Client(mesh.home("cy")) as cy:
        eventually(lambda: ada.find(did=cy_did), what="cy's record")
        knock = ada.knock(cy_did, "task.request", "Review my parser, please")
        held = eventually(
            lambda: [k for k in cy.knocks() if k.peer == mesh.dids["ada"] and k.state == "held"], what="held knock"
        )[0]
        assert cy.deny(held.id, reason="Not taking work").state == "rejected"
        decided = ada.wait_for_knock(knock.id, timeout=60)
        assert (decided.state, decided.reason) == ("rejected", "Not taking work")
        with pytest.raises(MeshPeerError) as caught:
            ada.send_text(cy_did, "Please?")
        assert caught.value.code == "forbidden"
        with pytest.raises(MeshPeerError) as again:
            cy.approve(held.id)
        assert again.value.code == "conflict"
