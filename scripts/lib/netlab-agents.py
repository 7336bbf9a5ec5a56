#!/usr/bin/env python3
"""The lab's agent driver (scripts/lib/netlab-agents.sh): talks to `meshpeer run` agents in network namespaces through
their local HTTP APIs (bearer token from the data directory's `api-token`, URL from its `api.json`).

Each agent's API listens on 127.0.0.1 inside the agent's own namespace, so every request for an agent is made from a
thread that has entered that namespace (setns(2) on a thread changes only that thread's network namespace; the
sockets it then opens live there). Standard library only. Every wait is bounded.

    netlab-agents.py cell --a NS:HOME --b NS:HOME [--messages N] [--bulk-bytes N]   one cell's JSON on stdout
    netlab-agents.py cut --a NS:HOME --b NS:HOME --cut CMD --restore CMD             the cut scenario's JSON
    netlab-agents.py report [--cut FILE] CELL.json...                               the lab's JSON (last line)
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import ctypes
import hashlib
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)
CHUNK = 160 * 1024  # raw bytes per bulk message: base64 plus JSON stays under the API's 256 KiB request limit
DIRECT_WAIT = 12.0  # ICE gives up after about 10 s (with port prediction); the slowest lab cell takes 2.6 s
METRIC_NAMES = (
    "meshpeer_direct_upgrades_total",
    "meshpeer_direct_fallbacks_total",
    "meshpeer_direct_messages_sent_total",
    "meshpeer_direct_messages_received_total",
    "meshpeer_direct_channels",
    "meshpeer_duplicates_dropped_total",
    "meshpeer_storage_errors_total",
    "meshpeer_direct_attempts_total",
    "meshpeer_direct_time_to_direct_ms",
)


def offer_to_direct(metrics: Dict[str, Dict[str, float]], direct_at: Optional[float]) -> Optional[int]:
    """The node's own time from the first offer to a validated channel, for a cell that went direct."""
    if direct_at is None:
        return None
    values = [metrics[n].get("meshpeer_direct_time_to_direct_ms", 0) for n in ("a", "b")]
    values = [v for v in values if v > 0]
    return int(max(values)) if values else None


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def enter_namespace(name: str) -> None:
    """Moves the calling thread (only) into network namespace `name`."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns({name}): {os.strerror(error)}")
    finally:
        os.close(fd)


class APIError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:300]}")
        self.status = status


class Agent:
    """One agent's API, reached from worker threads inside its namespace."""

    def __init__(self, name: str, spec: str) -> None:
        self.name = name
        self.namespace, self.home = spec.split(":", 1)
        # Two workers: one for the conversation, one for the metrics poller.
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=3, initializer=enter_namespace, initargs=(self.namespace,)
        )
        self.url = ""
        self.token = ""
        self.did = ""

    def load(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(os.path.join(self.home, "api.json")) as handle:
                    self.url = json.load(handle)["url"].rstrip("/")
                with open(os.path.join(self.home, "api-token")) as handle:
                    self.token = handle.read().strip()
                break
            except (OSError, ValueError, KeyError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name}: no api.json/api-token in {self.home}")
                time.sleep(0.1)
        self.did = self.request("GET", "/v1/status")["did"]

    def run(self, function: Callable[..., Any], *args: Any) -> "concurrent.futures.Future[Any]":
        return self.pool.submit(function, *args)

    def request(self, method: str, path: str, body: Any = None, timeout: float = 30.0, raw: bool = False) -> Any:
        """An API request made from a thread inside the agent's namespace."""
        return self.pool.submit(self._request, method, path, body, timeout, raw).result(timeout + 5)

    def _request(self, method: str, path: str, body: Any, timeout: float, raw: bool) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise APIError(error.code, error.read().decode(errors="replace")) from None
        return payload.decode() if raw else (json.loads(payload) if payload else None)

    def metrics(self) -> Dict[str, float]:
        text = self._request("GET", "/metrics", None, 10, True)
        values: Dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) >= 2:
                name = parts[0].split("{")[0]
                if name in METRIC_NAMES:
                    values[name] = values.get(name, 0.0) + float(parts[1])
        return values

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def eventually(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = result
        except Exception as error:  # noqa: BLE001 - retried until the deadline, then reported
            last = error
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}: last {last!r}")


class Poller:
    """Polls both agents' /metrics every 50 ms (from inside their namespaces) and notes when each first reports a
    direct path up, and the latest figures."""

    def __init__(self, agents: List[Agent]) -> None:
        self.agents = agents
        self.first_direct: Dict[str, float] = {}
        self.latest: Dict[str, Dict[str, float]] = {}
        self.stop = threading.Event()
        self.futures = [agent.run(self._loop, agent) for agent in agents]

    def _loop(self, agent: Agent) -> None:
        while not self.stop.is_set():
            try:
                values = agent.metrics()
                self.latest[agent.name] = values
                if values.get("meshpeer_direct_upgrades_total", 0) >= 1 and agent.name not in self.first_direct:
                    self.first_direct[agent.name] = time.monotonic()
            except Exception:  # noqa: BLE001 - a slow answer is retried
                pass
            self.stop.wait(0.05)

    def both_direct(self) -> Optional[float]:
        if len(self.first_direct) < len(self.agents):
            return None
        return max(self.first_direct.values())

    def close(self) -> None:
        self.stop.set()
        for future in self.futures:
            try:
                future.result(15)
            except Exception:  # noqa: BLE001
                pass


def connect(a: Agent, b: Agent, timeout: float = 90.0) -> None:
    """a finds b in the DHT and knocks; b's policy accepts."""
    eventually(f"{b.name}'s record", lambda: b.request("GET", "/v1/status").get("published"), timeout)
    did = urllib.parse.quote(b.did, safe="")
    eventually(f"{a.name} to find {b.name}", lambda: a.request("GET", f"/v1/find?did={did}"), timeout, 0.5)
    knock = a.request("POST", "/v1/knocks", {"to": b.did, "intent": "chat.message", "purpose": "netlab cell"})

    def accepted() -> bool:
        for item in a.request("GET", "/v1/knocks"):
            if item["id"] == knock["id"]:
                if item["state"] in ("rejected", "expired", "failed"):
                    raise RuntimeError(f"knock {item['state']}: {item}")
                return item["state"] == "accepted"
        return False

    eventually("the knock to be accepted", accepted, timeout, 0.25)


def send_chats(sender: Agent, to: str, count: int, tag: str, pace: float) -> List[str]:
    ids = []
    for index in range(count):
        body = {"text": f"{tag} {index}"}
        for _ in range(50):  # a 429 (rate limit) is retried, bounded
            try:
                ids.append(sender.request("POST", "/v1/messages", {"to": to, "intent": "chat.message", "body": body})["id"])
                break
            except APIError as error:
                if error.status != 429:
                    raise
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{sender.name}: message {index} refused (rate limited) 50 times")
        if pace:
            time.sleep(pace)
    return ids


def send_bulk(sender: Agent, to: str, total: int) -> Tuple[List[str], str]:
    """`total` random bytes in messages of CHUNK bytes (base64), returns their IDs and the SHA-256 of the whole."""
    data = os.urandom(total)
    ids = []
    count = (total + CHUNK - 1) // CHUNK
    for index in range(count):
        piece = data[index * CHUNK : (index + 1) * CHUNK]
        body = {"seq": index, "count": count, "data": base64.b64encode(piece).decode()}
        for _ in range(50):
            try:
                ids.append(sender.request("POST", "/v1/messages", {"to": to, "intent": "x-netlab.blob", "body": body})["id"])
                break
            except APIError as error:
                if error.status != 429:
                    raise
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{sender.name}: bulk message {index} refused 50 times")
    return ids, hashlib.sha256(data).hexdigest()


class Inbox:
    """Everything an agent has received, read page by page (with `wait`), kept by cursor."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.cursor = 0
        self.messages: List[Dict[str, Any]] = []

    def read(self, wait: float = 1.0) -> None:
        for _ in range(200):
            page = self.agent.request("GET", f"/v1/messages?after={self.cursor}&limit=500&wait={wait}", timeout=wait + 30)
            self.messages += page["messages"]
            if page["messages"]:
                self.cursor = page["cursor"]
            if len(page["messages"]) < 500:
                return
            wait = 0

    def wait_for(self, ids: List[str], timeout: float) -> bool:
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(1.0)
            if wanted <= {m["id"] for m in self.messages}:
                return True
        return False


def audit_paths(agent: Agent, peer: str) -> Dict[str, Dict[str, int]]:
    """The receiver's audit log: per intent, how many messages from `peer` came by relay and by direct path."""
    counts: Dict[str, Dict[str, int]] = {}
    after = 0
    for _ in range(100):
        page = agent.request("GET", f"/v1/audit?after={after}&limit=1000")
        for entry in page["entries"]:
            if entry.get("kind") == "message.received" and entry.get("peer") == peer:
                per = counts.setdefault(entry.get("intent", "?"), {})
                path = entry.get("path", "unknown")
                per[path] = per.get(path, 0) + 1
        if page.get("next") is None:
            break
        after = page["next"]
    return counts


def delivered(inbox: Inbox, ids: List[str]) -> Tuple[int, int]:
    """(how many of `ids` arrived, how many arrived more than once)."""
    seen: Dict[str, int] = {}
    for message in inbox.messages:
        seen[message["id"]] = seen.get(message["id"], 0) + 1
    return sum(1 for i in ids if i in seen), sum(1 for i in ids if seen.get(i, 0) > 1)


def bulk_digest(inbox: Inbox, ids: List[str]) -> str:
    wanted = set(ids)
    pieces = {}
    for message in inbox.messages:
        if message["id"] in wanted and message["intent"] == "x-netlab.blob":
            pieces[message["body"]["seq"]] = base64.b64decode(message["body"]["data"])
    return hashlib.sha256(b"".join(pieces[k] for k in sorted(pieces))).hexdigest()


def log_evidence(home: str) -> Dict[str, Any]:
    """What the node's log says about its direct paths (run with --log-level info)."""
    try:
        with open(os.path.join(home, "run.log"), errors="replace") as handle:
            text = handle.read()
    except OSError:
        return {}
    # The node logs the time ICE took as a Duration ("ms=2.113934154 seconds"), on the line before the message.
    selected = re.findall(r"ms=([0-9.]+) seconds.*ICE selected a pair", text)
    return {
        "ice_selected": text.count("ICE selected a pair"),
        "ice_ms": [int(float(x) * 1000) for x in selected],
        "direct_up": text.count("direct path up"),
        "back_on_relay": text.count("back on the relay"),
        # Metadata comes before the message: "peer=… reason=ICE consent lost [MeshNode] back on the relay".
        "reasons": sorted(set(re.findall(r"reason=(.*?) \[\w+\] back on the relay", text)))[:5],
        "storage_errors": len(re.findall(r"storage: .* failed|could not queue a path signal", text)),
        "crashes": len(re.findall(r"Fatal error|Segmentation fault|Illegal instruction", text)),
    }


def cell(args: argparse.Namespace) -> int:
    a, b = Agent("a", args.a), Agent("b", args.b)
    result: Dict[str, Any] = {"a": args.label_a, "b": args.label_b}
    poller = None
    try:
        a.load()
        b.load()
        started = time.monotonic()
        connect(a, b)
        result["connect_s"] = round(time.monotonic() - started, 2)
        inbox_a, inbox_b = Inbox(a), Inbox(b)
        poller = Poller([a, b])
        # The conversation: 100 messages each way, paced at 20 ms (as a chatty agent would send them); the first
        # send starts the upgrade (the node offers a direct path when it has messages for a contact).
        first_send = time.monotonic()
        to_b = a.run(send_chats, a, b.did, args.messages, "a→b", 0.02)
        to_a = b.run(send_chats, b, a.did, args.messages, "b→a", 0.02)
        ids_ab, ids_ba = to_b.result(120), to_a.result(120)
        # Then the transfer, once the conversation is direct or the attempt had its time (bounded).
        deadline = first_send + DIRECT_WAIT
        while poller.both_direct() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        bulk_started = time.monotonic()
        bulk_ids, bulk_sha = a.run(send_bulk, a, b.did, args.bulk_bytes).result(180)
        ok_b = inbox_b.wait_for(ids_ab + bulk_ids, args.timeout)
        ok_a = inbox_a.wait_for(ids_ba, 30 if ok_b else 5)
        result["bulk_s"] = round(time.monotonic() - bulk_started, 2)
        got_ab, dup_ab = delivered(inbox_b, ids_ab + bulk_ids)
        got_ba, dup_ba = delivered(inbox_a, ids_ba)
        direct_at = poller.both_direct()
        poller.close()
        metrics = {agent.name: poller.latest.get(agent.name, {}) for agent in (a, b)}
        paths_ab = audit_paths(b, a.did)
        paths_ba = audit_paths(a, b.did)
        bulk_paths = paths_ab.get("x-netlab.blob", {})
        chat_ab, chat_ba = paths_ab.get("chat.message", {}), paths_ba.get("chat.message", {})
        # The cell's path: what carried the transfer (sent once the attempt had its chance).
        if bulk_paths.get("direct", 0) and not bulk_paths.get("relay", 0):
            path = "direct"
        elif bulk_paths.get("direct", 0):
            path = "mixed"
        else:
            path = "relay"
        digest = bulk_digest(inbox_b, bulk_ids) if got_ab == len(ids_ab) + len(bulk_ids) else ""
        evidence = {"a": log_evidence(a.home), "b": log_evidence(b.home)}
        upgrades = [int(metrics[n].get("meshpeer_direct_upgrades_total", 0)) for n in ("a", "b")]
        result.update(
            {
                "path": path,
                "sent": len(ids_ab) + len(ids_ba) + len(bulk_ids),
                "delivered": got_ab + got_ba,
                "duplicates": dup_ab + dup_ba,
                # From the first offer, as the node measures it (meshpeer_direct_time_to_direct_ms: the last upgrade's
                # time from the winning offer to the validated channel); the driver's own clock from the first send
                # (which adds gathering and the first message's trip) is kept beside it.
                "time_to_direct_ms": offer_to_direct(metrics, direct_at),
                "time_to_direct_from_send_ms": None if direct_at is None else int((direct_at - first_send) * 1000),
                "time_to_direct_from": "first offer (node metric)",
                # Attempts the nodes took part in (offered or answered), at the end that saw more.
                "upgrade_attempts": max(int(metrics[n].get("meshpeer_direct_attempts_total", 0)) for n in ("a", "b")),
                "ice_selected": max(evidence["a"].get("ice_selected", 0), evidence["b"].get("ice_selected", 0)),
                "upgrades": upgrades,
                "fallbacks": [int(metrics[n].get("meshpeer_direct_fallbacks_total", 0)) for n in ("a", "b")],
                "bulk": {"bytes": args.bulk_bytes, "messages": len(bulk_ids), "sha256_match": digest == bulk_sha},
                "paths": {
                    "chat_a_to_b": chat_ab,
                    "chat_b_to_a": chat_ba,
                    "bulk_a_to_b": bulk_paths,
                },
                "complete": ok_a and ok_b,
                "log": evidence,
            }
        )
    except Exception as error:  # noqa: BLE001 - the cell reports its failure rather than vanishing
        say(f"cell {args.label_a} <-> {args.label_b}: {error!r}")
        result.setdefault("path", "none")
        result.setdefault("sent", 0)
        result.setdefault("delivered", 0)
        result["error"] = str(error)[:500]
    finally:
        if poller is not None:
            poller.close()
        a.close()
        b.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cut(args: argparse.Namespace) -> int:
    """A direct conversation loses its path (the NAT drops the host's UDP), goes on through the relay with nothing
    lost or repeated, and upgrades again once the path returns."""
    a, b = Agent("a", args.a), Agent("b", args.b)
    result: Dict[str, Any] = {"ok": False}
    steps: List[str] = []
    poller = None
    cut_applied = False
    try:
        a.load()
        b.load()
        connect(a, b)
        inbox = Inbox(b)
        poller = Poller([a, b])
        sent: List[str] = []
        sent += send_chats(a, b.did, 5, "warm-up", 0)
        eventually("a direct path", lambda: poller.both_direct(), 40, 0.1)
        steps.append("direct")
        sent += send_chats(a, b.did, 20, "before", 0.02)
        if not inbox.wait_for(sent, 60):
            raise RuntimeError("the messages before the cut did not arrive")
        direct_before = poller.latest["b"].get("meshpeer_direct_messages_received_total", 0)
        subprocess.run(shlex.split(args.cut), check=True, timeout=10)
        cut_applied = True
        cut_at = time.monotonic()
        steps.append("cut")
        during = send_chats(a, b.did, 20, "during", 0.05)
        sent += during
        # ICE consent (30 s without an answer) ends the channel; what it carried goes again via the relay. A batch
        # sent 20 s into the cut shows whether that happens at the fallback (about 10 s later) or only when the
        # outbox's own retry timer (30 s for a message handed to a path) fires.
        time.sleep(max(0.0, cut_at + 20 - time.monotonic()))
        late_sent_at = time.monotonic()
        late = send_chats(a, b.did, 5, "late", 0)
        sent += late
        if inbox.wait_for(late, 120):
            result["late_arrived_after_send_s"] = round(time.monotonic() - late_sent_at, 1)
        arrived = inbox.wait_for(sent, 120)
        fallback = poller.latest["a"].get("meshpeer_direct_fallbacks_total", 0)
        result["during_arrived_s"] = round(time.monotonic() - cut_at, 1)
        result["fallbacks_a"] = int(fallback)
        result["storage_errors"] = [int(poller.latest[n].get("meshpeer_storage_errors_total", 0)) for n in ("a", "b")]
        if not arrived:
            raise RuntimeError("the messages sent during the cut did not arrive through the relay")
        steps.append("relayed")
        subprocess.run(shlex.split(args.restore), check=True, timeout=10)
        cut_applied = False
        restored_at = time.monotonic()
        upgrades_before = poller.latest["a"].get("meshpeer_direct_upgrades_total", 0)
        # After the backoff (30 s) the next message upgrades again: one probe a second, bounded.
        probes_deadline = time.monotonic() + 120
        upgraded = False
        while time.monotonic() < probes_deadline:
            sent += send_chats(a, b.did, 1, "probe", 0)
            time.sleep(1)
            if poller.latest["a"].get("meshpeer_direct_upgrades_total", 0) > upgrades_before and poller.latest[
                "b"
            ].get("meshpeer_direct_upgrades_total", 0) >= 2:
                upgraded = True
                break
        result["reupgrade_s"] = round(time.monotonic() - restored_at, 1)
        if not upgraded:
            raise RuntimeError("no second upgrade within 120 s of the path's return")
        steps.append("direct again")
        after = send_chats(a, b.did, 20, "after", 0.02)
        sent += after
        if not inbox.wait_for(sent, 60):
            raise RuntimeError("the messages after the second upgrade did not arrive")
        time.sleep(0.5)
        inbox.read(0)
        got, duplicates = delivered(inbox, sent)
        order = [m["id"] for m in inbox.messages if m["id"] in set(sent)]
        paths = audit_paths(b, a.did).get("chat.message", {})
        direct_after = poller.latest["b"].get("meshpeer_direct_messages_received_total", 0)
        result.update(
            {
                "sent": len(sent),
                "delivered": got,
                "duplicates": duplicates,
                "in_order": order == sent,
                "paths": paths,
                "direct_received_after_return": int(direct_after - direct_before),
                "ok": got == len(sent) and duplicates == 0 and order == sent,
            }
        )
    except Exception as error:  # noqa: BLE001
        say(f"cut scenario: {error!r}")
        result["error"] = str(error)[:500]
    finally:
        if cut_applied:
            subprocess.run(shlex.split(args.restore), check=False, timeout=10)
        if poller is not None:
            poller.close()
        a.close()
        b.close()
    result["steps"] = steps
    result["log"] = {"a": log_evidence(a.home), "b": log_evidence(b.home)}
    print(json.dumps(result, ensure_ascii=False))
    return 0


# The ICE lab's matrix (docs/ice.md) is direct in the 15 distinct cells without udp-blocked. The same-topology cells
# here put both hosts behind one router (two LANs it routes between), so only udp-blocked (the router drops all
# forwarded UDP) has no direct path there.
def ice_lab_direct(a: str, b: str) -> bool:
    return "udp-blocked" not in (a, b)


def report(args: argparse.Namespace) -> int:
    cells = []
    for path in args.cells:
        try:
            with open(path) as handle:
                cells.append(json.loads(handle.read().strip().splitlines()[-1]))
        except (OSError, ValueError, IndexError) as error:
            cells.append({"a": "?", "b": "?", "path": "none", "sent": 0, "delivered": 0, "error": str(error)})
    order = ["open", "full-cone", "port-restricted", "symmetric", "udp-blocked", "double-nat", "upnp"]
    rank = {name: i for i, name in enumerate(order)}
    cells.sort(key=lambda c: (rank.get(c["a"], 9), rank.get(c["b"], 9)))
    failures = []
    out_cells = []
    for c in cells:
        expected = ice_lab_direct(c["a"], c["b"])
        sent, got = c.get("sent", 0), c.get("delivered", 0)
        if c.get("error"):
            failures.append(f"{c['a']} <-> {c['b']}: {c['error']}")
        if sent == 0 or got != sent or c.get("duplicates", 0):
            failures.append(f"{c['a']} <-> {c['b']}: delivered {got} of {sent}, duplicates {c.get('duplicates', 0)}")
        if c.get("bulk") and not c["bulk"].get("sha256_match"):
            failures.append(f"{c['a']} <-> {c['b']}: the transfer's SHA-256 does not match")
        if expected and c.get("path") != "direct":
            failures.append(f"{c['a']} <-> {c['b']}: expected direct (as in the ICE lab), got {c.get('path')}")
        out_cells.append(
            {
                "a": c["a"],
                "b": c["b"],
                "path": c.get("path", "none"),
                "delivered": got,
                "sent": sent,
                "time_to_direct_ms": c.get("time_to_direct_ms"),
                "upgrade_attempts": c.get("upgrade_attempts", 0),
                "expected_direct": expected,
                "duplicates": c.get("duplicates", 0),
                "sha256_match": (c.get("bulk") or {}).get("sha256_match", False),
                "paths": c.get("paths", {}),
                "fallbacks": c.get("fallbacks"),
                # ICE's own time to a selected pair at each end (from its session's start), from the nodes' logs.
                "ice_ms": [(c.get("log") or {}).get(side, {}).get("ice_ms") for side in ("a", "b")],
                **({"error": c["error"]} if c.get("error") else {}),
            }
        )
    total_sent = sum(c["sent"] for c in out_cells)
    total_got = sum(min(c["delivered"], c["sent"]) for c in out_cells)
    times = sorted(c["time_to_direct_ms"] for c in out_cells if c["time_to_direct_ms"] is not None)
    distinct = [c for c in out_cells if c["a"] != c["b"]]
    summary: Dict[str, Any] = {
        "cells": out_cells,
        "delivery_rate": round(total_got / total_sent, 4) if total_sent else 0,
        "direct_rate": round(sum(1 for c in out_cells if c["path"] == "direct") / len(out_cells), 3) if out_cells else 0,
        "direct_distinct": sum(1 for c in distinct if c["path"] == "direct"),
        "distinct_cells": len(distinct),
        "direct_same_topology": sum(1 for c in out_cells if c["a"] == c["b"] and c["path"] == "direct"),
        "time_to_direct_ms_p50": int(statistics.median(times)) if times else None,
        "time_to_direct_ms_max": max(times) if times else None,
        "time_to_direct_from": "first offer (the nodes' meshpeer_direct_time_to_direct_ms)",
        "elapsed_s": args.elapsed,
    }
    if args.cut and args.cut != "none":
        try:
            with open(args.cut) as handle:
                summary["cut"] = json.loads(handle.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as error:
            summary["cut"] = {"ok": False, "error": str(error)}
        summary["cut"].pop("log", None)
        if not summary["cut"].get("ok"):
            failures.append(f"cut scenario: {summary['cut'].get('error') or summary['cut']}")
    summary["failures"] = failures
    for failure in failures:
        say(failure)
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("cell")
    one.add_argument("--a", required=True, help="NAMESPACE:HOME of the agent that knocks and sends the transfer")
    one.add_argument("--b", required=True)
    one.add_argument("--label-a", default="a")
    one.add_argument("--label-b", default="b")
    one.add_argument("--messages", type=int, default=100)
    one.add_argument("--bulk-bytes", type=int, default=10 * 1024 * 1024)
    one.add_argument("--timeout", type=float, default=180.0, help="seconds for everything to arrive")
    scenario = commands.add_parser("cut")
    scenario.add_argument("--a", required=True)
    scenario.add_argument("--b", required=True)
    scenario.add_argument("--cut", required=True, help="command that cuts a's UDP")
    scenario.add_argument("--restore", required=True, help="command that restores it")
    summary = commands.add_parser("report")
    summary.add_argument("--cut", default="none")
    summary.add_argument("--elapsed", type=int, default=0)
    summary.add_argument("cells", nargs="*")
    args = parser.parse_args()
    return {"cell": cell, "cut": cut, "report": report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
