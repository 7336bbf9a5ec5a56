#!/usr/bin/env python3
"""One node of bmuller's `kademlia` (PyPI) per process, driven by `meshbench dht-net`.

The mirror of `meshpeer dht serve --stdin-commands`: a long-running node that takes commands as JSON lines on stdin
and answers each with one JSON line on stdout carrying the command's "id".

    dht-race-peer.py [--bootstrap HOST:PORT]

Prints {"event": "listening", "port": P, "pid": ..., "kademlia": VERSION, "rpcudp": VERSION} once bound to
127.0.0.1 (an OS-chosen port), then {"event": "joined", "contacts": N} when `Server.bootstrap` has returned (at
once for the first node). Commands:

    {"id": 1, "op": "set", "key": "race-value-3", "value": "..."}  -> {"id": 1, "event": "set", "ok": true}
    {"id": 2, "op": "get", "key": "race-value-3"}                  -> {"id": 2, "event": "get", "found": true, "value": "..."}
    {"id": 3, "op": "stats"}                                       -> {"id": 3, "event": "stats", "contacts": N, "pid": ...,
                                                                       "sent": S, "received": R}

"sent" and "received" count the node's UDP datagrams (requests and replies alike), as ours does, so the race can
report what one get costs each side in datagrams.

`Server` keeps its defaults (k = 20, alpha = 3, a 5 s RPC timeout), as a user of the package would. A line is at
most 16 KiB and at most 64 commands run at once, like ours. End of stdin stops the node.
"""

import argparse
import asyncio
import importlib.metadata
import json
import os
import sys

from kademlia.network import Server

MAX_LINE = 16 * 1024
MAX_IN_FLIGHT = 64


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def contact_count(server):
    return sum(len(bucket.nodes) for bucket in server.protocol.router.buckets)


class DatagramCount:
    """Counts the node's datagrams by wrapping its transport's `sendto` and its protocol's `datagram_received`
    (rpcudp calls both for every request and reply); the package itself keeps no count."""

    def __init__(self, server):
        self.sent = 0
        self.received = 0
        transport, protocol = server.transport, server.protocol
        send, receive = transport.sendto, protocol.datagram_received

        def counted_send(data, addr=None):
            self.sent += 1
            return send(data, addr)

        def counted_receive(data, addr):
            self.received += 1
            return receive(data, addr)

        transport.sendto = counted_send
        protocol.datagram_received = counted_receive


async def run_command(server, count, command):
    op = command.get("op")
    reply = {"id": command.get("id", -1)}
    try:
        if op == "set":
            ok = await server.set(str(command["key"]), str(command["value"]))
            reply.update(event="set", ok=bool(ok))
        elif op == "get":
            value = await server.get(str(command["key"]))
            reply.update(event="get", found=value is not None, value=value)
        elif op == "stats":
            reply.update(
                event="stats", contacts=contact_count(server), pid=os.getpid(), sent=count.sent, received=count.received
            )
        else:
            reply.update(event="error", message="unknown op (set, get, stats)")
    except Exception as error:  # one failed command must not stop the node
        reply.update(event="error", message=repr(error))
    return reply


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", help="host:port of a node of this network to join through")
    args = parser.parse_args()

    server = Server()
    await server.listen(0, interface="127.0.0.1")
    port = server.transport.get_extra_info("sockname")[1]
    count = DatagramCount(server)
    emit({
        "event": "listening", "port": port, "pid": os.getpid(),
        "kademlia": importlib.metadata.version("kademlia"), "rpcudp": importlib.metadata.version("rpcudp"),
    })
    if args.bootstrap:
        host, _, bootstrap_port = args.bootstrap.rpartition(":")
        await server.bootstrap([(host, int(bootstrap_port))])
    emit({"event": "joined", "contacts": contact_count(server)})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE + 1)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    in_flight = set()

    async def answer(command):
        emit(await run_command(server, count, command))

    while True:
        try:
            line = await reader.readline()
        except ValueError:  # over the limit: StreamReader drops the line
            emit({"event": "error", "message": f"command line over {MAX_LINE} bytes"})
            continue
        if not line:
            break
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            if not isinstance(command, dict):
                raise ValueError("not an object")
        except ValueError:
            emit({"event": "error", "message": "a command is one JSON object per line"})
            continue
        if len(in_flight) >= MAX_IN_FLIGHT:
            emit({"id": command.get("id", -1), "event": "error", "message": f"over {MAX_IN_FLIGHT} commands at once"})
            continue
        task = asyncio.ensure_future(answer(command))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    server.stop()


if __name__ == "__main__":
    asyncio.run(main())
