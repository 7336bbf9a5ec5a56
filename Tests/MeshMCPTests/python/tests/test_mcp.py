"""`meshpeer mcp` with the official MCP Python SDK over stdio: the tools and their schemas, a conversation
between two agents (find, knock, approve, send, read the reply), resources and the inbox notification, and bad
arguments, which are tool errors while the server keeps serving."""

from __future__ import annotations

import asyncio
import json
import subprocess
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import jsonschema
import mcp.types as types
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mesh import Mesh, meshpeer_binary

# This server speaks MCP 2025-11-25, where resources/subscribe is current; the SDK warns about newer protocols.
pytestmark = pytest.mark.filterwarnings("ignore:resources/subscribe is removed")

EXPECTED_TOOLS = {
    "status",
    "find_agents",
    "get_agent",
    "knock",
    "list_knocks",
    "approve_knock",
    "deny_knock",
    "send_message",
    "read_messages",
    "message_status",
    "list_contacts",
}


class Session:
    """One `meshpeer mcp` process and an initialised client session on it."""

    def __init__(self, session: ClientSession, notes: List[Any]) -> None:
        self.session = session
        self.notes = notes

    async def ok(self, tool: str, arguments: Optional[Dict[str, Any]] = None) -> Any:
        result = await self.session.call_tool(tool, arguments or {})  # validates against the output schema
        assert isinstance(result, types.CallToolResult)
        assert not result.is_error, f"{tool}: {result.content}"
        # The text content is the same JSON as the structured content, for clients without structured support.
        assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
        return result.structured_content

    async def error(self, tool: str, arguments: Dict[str, Any]) -> str:
        result = await self.session.call_tool(tool, arguments)
        assert isinstance(result, types.CallToolResult)
        assert result.is_error, f"{tool} {arguments}: expected a tool error, got {result.structured_content}"
        return "".join(getattr(block, "text", "") for block in result.content)


async def open_session(stack: AsyncExitStack, home: Path, *extra: str) -> Session:
    notes: List[Any] = []

    async def on_message(message: Any) -> None:
        notes.append(message)

    parameters = StdioServerParameters(command=meshpeer_binary(), args=["mcp", "--home", str(home), *extra])
    read, write = await stack.enter_async_context(stdio_client(parameters))
    session = await stack.enter_async_context(ClientSession(read, write, message_handler=on_message))
    await session.initialize()
    return Session(session, notes)


async def until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last {last!r}")


def test_tools_and_a_conversation_between_two_agents(mesh: Mesh) -> None:
    asyncio.run(asyncio.wait_for(_conversation(mesh), 240))


async def _conversation(mesh: Mesh) -> None:
    async with AsyncExitStack() as stack:
        ada = await open_session(stack, mesh.home("ada"))
        lexi = await open_session(stack, mesh.home("lexi"), "--allow-knock-decisions")

        listed = (await ada.session.list_tools()).tools
        assert {tool.name for tool in listed} == EXPECTED_TOOLS
        for tool in listed:
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            assert tool.output_schema is not None
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            assert tool.description

        me = await ada.ok("status")
        assert me["did"] == mesh.dids["ada"]
        lexi_did = mesh.dids["lexi"]

        async def found() -> Any:
            return (await ada.ok("find_agents", {"capability": "legal-translation"}))["agents"]

        agents = await until(found, "lexi in the DHT")
        assert [a["did"] for a in agents] == [lexi_did] and agents[0]["relationship"] == "none"
        assert (await ada.ok("find_agents", {"capability": "legal-translation", "words": "lexi DOES"}))["agents"]
        assert not (await ada.ok("find_agents", {"capability": "legal-translation", "words": "plumbing"}))["agents"]
        assert (await ada.ok("get_agent", {"did": lexi_did}))["card"]["name"] == "Lexi"

        knock = await ada.ok(
            "knock", {"did": lexi_did, "intent": "task.request", "purpose": "Translate a 2-page NDA into French"}
        )
        assert knock["state"] == "pending"
        # Ada's agent may not decide knocks: the owner did not allow it.
        assert "--allow-knock-decisions" in await ada.error("approve_knock", {"id": knock["id"]})

        async def held() -> Any:
            knocks = (await lexi.ok("list_knocks"))["knocks"]
            return [k for k in knocks if k["peer"] == mesh.dids["ada"] and k["state"] == "held"]

        incoming = (await until(held, "the knock held for lexi"))[0]
        assert (await lexi.ok("approve_knock", {"id": incoming["id"], "reason": "Welcome"}))["state"] == "accepted"
        assert "Conflict" in await lexi.error("approve_knock", {"id": incoming["id"]})

        async def accepted() -> Any:
            knocks = (await ada.ok("list_knocks"))["knocks"]
            return [k for k in knocks if k["id"] == knock["id"] and k["state"] == "accepted"]

        await until(accepted, "ada's knock to be accepted")
        assert [c["did"] for c in (await ada.ok("list_contacts"))["contacts"]] == [lexi_did]

        await ada.session.subscribe_resource("meshpeer://inbox")
        request = await ada.ok(
            "send_message",
            {"did": lexi_did, "intent": "task.request", "body": {"task": "legal-translation", "input": "NDA..."}},
        )
        page = await lexi.ok("read_messages", {"after": 0, "wait_seconds": 20})
        assert [m["id"] for m in page["messages"]] == [request["id"]]
        question = page["messages"][0]
        reply = await lexi.ok(
            "send_message",
            {
                "did": question["from"],
                "intent": "task.response",
                "body": {"status": "ok", "output": "Accord de confidentialité..."},
                "in_reply_to": question["id"],
            },
        )
        answer = await ada.ok("read_messages", {"after": 0, "wait_seconds": 20})
        assert answer["messages"][0]["in_reply_to"] == request["id"]
        assert answer["messages"][0]["body"]["output"] == "Accord de confidentialité..."
        later = await ada.ok("read_messages", {"after": answer["cursor"], "wait_seconds": 0.2})
        assert later["messages"] == [] and later["cursor"] == answer["cursor"]

        async def delivered() -> Any:
            return (await lexi.ok("message_status", {"id": reply["id"]}))["state"] == "delivered"

        await until(delivered, "the reply's receipt")

        # The subscribed client heard that the inbox changed.
        async def notified() -> Any:
            return [
                n
                for n in ada.notes
                if isinstance(n, types.ResourceUpdatedNotification) and str(n.params.uri) == "meshpeer://inbox"
            ]

        await until(notified, "notifications/resources/updated for the inbox", 20)

        resources = {str(r.uri) for r in (await ada.session.list_resources()).resources}
        assert resources == {"meshpeer://card", "meshpeer://inbox"}
        card = json.loads((await ada.session.read_resource("meshpeer://card")).contents[0].text)  # type: ignore[union-attr]
        assert card["name"] == "Ada"
        inbox = json.loads((await ada.session.read_resource("meshpeer://inbox")).contents[0].text)  # type: ignore[union-attr]
        assert [m["id"] for m in inbox["messages"]] == [answer["messages"][0]["id"]]


def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(mesh: Mesh) -> None:
    asyncio.run(asyncio.wait_for(_bad_arguments(mesh), 120))


async def _bad_arguments(mesh: Mesh) -> None:
    async with AsyncExitStack() as stack:
        ada = await open_session(stack, mesh.home("ada"))
        lexi_did = mesh.dids["lexi"]
        cases = [
            ("knock", {"did": lexi_did}, "`intent` is required"),
            ("knock", {"did": 42, "intent": "task.request", "purpose": "x"}, "`did` must be a string"),
            ("status", {"verbose": True}, "unknown argument `verbose`"),
            ("read_messages", {"limit": 0}, "between 1 and 500"),
            ("read_messages", {"wait_seconds": 61}, "between 0"),
            ("send_message", {"did": lexi_did, "intent": "chat.message", "body": {"text": "x" * 300_000}}, "at most"),
            ("send_message", {"did": lexi_did, "intent": "Not An Intent!", "body": {"text": "hi"}}, "intent"),
            ("send_message", {"did": lexi_did, "intent": "chat.message", "body": {"txt": "typo"}}, "txt"),
            ("get_agent", {"did": "not-a-did"}, "Bad request"),
            ("message_status", {"id": "0" * 32}, "Not found"),
            ("no_such_tool", {}, "no tool `no_such_tool`"),
        ]
        for tool, arguments, expected in cases:
            text = await ada.error(tool, arguments)
            assert expected in text, f"{tool} {arguments}: {text}"
        assert (await ada.ok("status"))["did"] == mesh.dids["ada"]


def test_no_node_is_a_clear_tool_error(tmp_path: Path) -> None:
    async def run() -> None:
        async with AsyncExitStack() as stack:
            nobody = await open_session(stack, tmp_path)
            text = await nobody.error("status", {})
            assert "meshpeer run" in text and str(tmp_path) in text
            assert "meshpeer run" in await nobody.error("find_agents", {"capability": "x"})

    asyncio.run(asyncio.wait_for(run(), 60))


def test_stdout_carries_only_protocol_frames(mesh: Mesh) -> None:
    """Every line the server writes to stdout is a JSON-RPC message, also with verbose logging on."""
    frames = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "status", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "knock", "arguments": {"did": 1}}},
        {"jsonrpc": "2.0", "id": 5, "method": "no/such/method"},
    ]
    process = subprocess.Popen(
        [meshpeer_binary(), "mcp", "--home", str(mesh.home("ada")), "--log-level", "trace"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        for frame in frames:
            process.stdin.write(json.dumps(frame) + "\n")
        process.stdin.write("this is not json\n")
        process.stdin.flush()
        answers: Dict[Any, Any] = {}
        for _ in range(20):  # bounded: at most this many lines
            line = process.stdout.readline()
            if not line:
                break
            message = json.loads(line)  # a non-JSON line fails the test
            assert message["jsonrpc"] == "2.0"
            if "id" in message:
                answers[message["id"]] = message
            if {1, 2, 3, 4, 5} <= answers.keys():
                break
        assert answers[3]["result"]["structuredContent"]["did"] == mesh.dids["ada"]
        assert answers[4]["result"]["isError"] is True
        assert "error" in answers[5]
    finally:
        process.kill()
        process.wait(10)
