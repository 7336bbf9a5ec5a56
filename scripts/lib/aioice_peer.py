"""aioice as the other ICE agent against `meshlab ice-connect` (loopback; descriptions exchanged through files).

usage: aioice_peer.py controlling|controlled LOCAL_OUT REMOTE_IN
Prints one JSON line: {"path": "direct", "remote": ...} or {"path": "failed", "error": ...}; exit 1 on failure.
"""
import asyncio
import json
import os
import sys
import time

import aioice
import aioice.ice

# aioice skips 127.0.0.1 as a host address; the interop test runs on loopback.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


async def main(role, local_out, remote_in):
    conn = aioice.Connection(ice_controlling=(role == "controlling"))
    await conn.gather_candidates()
    mine = {
        "credentials": {"ufrag": conn.local_username, "pwd": conn.local_password},
        "candidates": [c.to_sdp() for c in conn.local_candidates],
        "endOfCandidates": True,
    }
    with open(local_out + ".tmp", "w") as f:
        json.dump(mine, f)
    os.rename(local_out + ".tmp", local_out)
    deadline = time.monotonic() + 20
    remote = None
    while remote is None and time.monotonic() < deadline:  # bounded wait for the peer's file
        try:
            with open(remote_in) as f:
                remote = json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            await asyncio.sleep(0.02)
    if remote is None:
        print(json.dumps({"path": "failed", "error": "no peer description"}))
        return 1
    conn.remote_username = remote["credentials"]["ufrag"]
    conn.remote_password = remote["credentials"]["pwd"]
    for line in remote["candidates"]:
        await conn.add_remote_candidate(aioice.Candidate.from_sdp(line))
    await conn.add_remote_candidate(None)
    try:
        await asyncio.wait_for(conn.connect(), 15)
    except Exception as error:  # report every failure as JSON
        print(json.dumps({"path": "failed", "error": repr(error)}))
        return 1
    # Keep answering the peer's checks briefly so it can finish its nomination.
    await asyncio.sleep(1.0)
    print(json.dumps({"path": "direct", "pair": str(conn._nominated.get(1))}))
    await conn.close()
    return 0


sys.exit(asyncio.run(main(*sys.argv[1:4])))
