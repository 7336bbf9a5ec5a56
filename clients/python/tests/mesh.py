"""A mesh of real MeshPeer processes on 127.0.0.1 for the tests: a DHT bootstrap node, a relay, and agents'
nodes, each with its data directory, built the way ``Sources/MeshNode/Devnet/LocalMesh.swift`` builds one.
Every wait is bounded; ``stop_all`` stops every process this module started."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[3]


def meshpeer_binary() -> str:
    """``$MESHPEER_BIN``, else the repository's debug build, else ``meshpeer`` on PATH."""
    candidates = [os.environ.get("MESHPEER_BIN"), str(REPO / ".build" / "debug" / "meshpeer"), shutil.which("meshpeer")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("no meshpeer binary: set MESHPEER_BIN or run `swift build --product meshpeer`")


class Process:
    """A child process whose stdout lines are collected by a thread, and whose stderr goes to a log file."""

    def __init__(self, name: str, argv: List[str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = open(log, "ab")
        self.popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log_file, start_new_session=True
        )
        self.lines: "queue.Queue[str]" = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for raw in self.popen.stdout:
            self.lines.put(raw.decode("utf-8", "replace"))

    def wait_event(self, event: str, timeout: float) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.popen.poll() is not None and self.lines.empty()):
                raise RuntimeError(f"{self.name}: no '{event}' line within {timeout} s; log:\n{self.tail()}")
            try:
                line = self.lines.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            if f'"event":"{event}"' in line.replace(" ", ""):
                return json.loads(line)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._reader.join(2)
        self._log_file.close()
        return self.popen.returncode


def card(name: str, description: str, tag: str) -> Dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "version": "1.0.0",
        "defaultInputModes": ["text/plain", "application/json"],
        "defaultOutputModes": ["text/plain", "application/json"],
        "capabilities": {},
        "supportedInterfaces": [],
        "skills": [{"id": tag, "name": name + " " + tag, "description": description, "tags": [tag], "examples": []}],
    }


class Mesh:
    def __init__(self, root: Path, binary: Optional[str] = None) -> None:
        self.root = root
        self.binary = binary or meshpeer_binary()
        self.processes: Dict[str, Process] = {}
        self.bootstrap = ""
        self.relays: List[str] = []
        self.dids: Dict[str, str] = {}

    def home(self, name: str) -> Path:
        return self.root / name

    def spawn(self, name: str, args: List[str]) -> Process:
        process = Process(name, [self.binary, *args], self.root / f"{name}.log")
        self.processes[name] = process
        return process

    def start_bootstrap(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        process = self.spawn("bootstrap", ["dht", "serve", "--ephemeral", "--listen", "127.0.0.1:0", "--json"])
        self.bootstrap = process.wait_event("listening", 30)["addresses"][0]

    def start_relay(self, name: str) -> str:
        directory = self.home(name)
        directory.mkdir(parents=True, exist_ok=True)
        base = {
            "listen": "127.0.0.1:0",
            "data": str(directory),
            "dht": {"listen": ["127.0.0.1:0"], "bootstrap": [self.bootstrap]},
        }
        # A loopback test network: relays that check their adverts need "lab" to name 127.0.0.1, and a metrics
        # listener of their own; relays that predate those keys refuse them, so those get the plain config.
        variants = [{**base, "lab": True, "metricsListen": "127.0.0.1:0"}, base]
        config_path = self.root / f"{name}.json"
        for attempt, config in enumerate(variants):
            config_path.write_text(json.dumps(config))
            process = self.spawn(name, ["relay", "--config", str(config_path)])
            try:
                address = f"ws://127.0.0.1:{process.wait_event('listening', 30)['port']}"
            except RuntimeError:
                process.stop()
                if attempt == len(variants) - 1:
                    raise
                continue
            self.relays.append(address)
            return address
        raise AssertionError("unreachable")

    def add_agent(self, name: str, tag: str, policy: Dict[str, Any]) -> None:
        """Writes the agent's card, policy and config, creates its identity, and starts its node."""
        directory = self.home(name)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "card.json").write_text(json.dumps(card(name.title(), f"{name.title()} does {tag}.", tag)))
        (directory / "policy.json").write_text(json.dumps(policy))
        config = {
            "dht": {"listen": ["127.0.0.1:0"], "bootstrap": [self.bootstrap]},
            "relays": self.relays,
            "republishSeconds": 20,
            "recordTTLSeconds": 120,
        }
        (directory / "config.json").write_text(json.dumps(config))
        init = subprocess.run(
            [self.binary, "init", "--home", str(directory)], capture_output=True, timeout=30, check=False
        )
        if init.returncode != 0:
            raise RuntimeError(f"meshpeer init for {name} failed: {init.stderr.decode(errors='replace')}")
        self.start_agent(name)

    def start_agent(self, name: str) -> Dict[str, Any]:
        process = self.spawn(name, ["run", "--home", str(self.home(name)), "--json", "--log-level", "notice"])
        ready = process.wait_event("ready", 60)
        self.dids[name] = ready["did"]
        return ready

    def stop(self, name: str) -> int:
        process = self.processes.pop(name, None)
        return process.stop() if process is not None else 0

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in self.processes.values())


@contextmanager
def running_mesh(prefix: str, agents: Dict[str, Tuple[str, Dict[str, Any]]]) -> Iterator[Mesh]:
    """A bootstrap node, one relay and `agents` (name: (skill tag, knock policy)) in a temporary folder; every
    process is stopped and the folder removed afterwards, and the logs are printed if starting failed."""
    import tempfile

    network = Mesh(Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        network.start_bootstrap()
        network.start_relay("relay-a")
        for name, (tag, policy) in agents.items():
            network.add_agent(name, tag, policy)
        yield network
    except Exception:
        print(network.logs())
        raise
    finally:
        network.stop_all()
        shutil.rmtree(network.root, ignore_errors=True)
