#!/usr/bin/env python3
"""The IPv6 lab's driver (scripts/lib/netlab-ipv6.sh): two `meshpeer run` agents on IPv6, each behind a home router's
stateful firewall (no NAT). It reuses netlab-agents.py (the agents' APIs from inside their namespaces, the knock,
the metrics poller, the inbox) and netlab-onpath.py (the conversation's verdict), and reads the routers' nftables
counters. Standard library only. Every wait is bounded.

    netlab-ipv6.py scenario --name CELL --a NS:HOME --b NS:HOME --routers NS,NS --family ipv6|ipv4 [--messages N]
                                                            one JSON line on stdout
    netlab-ipv6.py report --elapsed S RESULT.json...        each cell's line again, checked; exit 1 if one failed
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


agents = _load("netlab_agents", "netlab-agents.py")
onpath = _load("netlab_onpath", "netlab-onpath.py")
say = agents.say
DIRECT_WAIT = 20.0  # seconds from the first send for both ends to report a direct path


def counter(router: str, name: str) -> int:
    """Packets counted by the router's named nftables counter (table inet homefw)."""
    done = subprocess.run(["ip", "netns", "exec", router, "nft", "list", "counter", "inet", "homefw", name],
                          capture_output=True, text=True, timeout=15)
    found = re.search(r"packets (\d+)", done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{router}: nft list counter {name}: {done.stderr.strip()}")
    return int(found.group(1))


def counters(routers: List[str]) -> Dict[str, Dict[str, int]]:
    names = ("inbound_dropped", "inbound_stun_dropped", "inbound_udp_established", "v6_blackholed",
             "v6_blackholed_stun")
    return {r: {n: counter(r, n) for n in names} for r in routers}


def dropped_from(router: str) -> List[str]:
    """What the router's firewall dropped inbound, as `source proto/port` (its set dropped_from; first 64)."""
    done = subprocess.run(["ip", "netns", "exec", router, "nft", "-j", "list", "set", "inet", "homefw",
                           "dropped_from"], capture_output=True, text=True, timeout=15)
    try:
        items = json.loads(done.stdout)["nftables"]
        elements = next(i["set"] for i in items if "set" in i).get("elem", [])
    except (ValueError, KeyError, StopIteration):
        return []
    names = {6: "tcp", 17: "udp", 58: "icmpv6"}
    out = []
    for element in elements:
        value = element.get("elem", {}).get("val", element) if isinstance(element, dict) else element
        parts = value.get("concat", []) if isinstance(value, dict) else []
        if len(parts) == 3:
            out.append(f"{parts[0]} {names.get(parts[1], parts[1])}/{parts[2]}")
    return sorted(out)


def selected_pairs(home: str) -> List[str]:
    """The pairs ICE selected, as the node logs them (`ICE selected a pair`, with its local and remote)."""
    try:
        with open(os.path.join(home, "run.log"), errors="replace") as handle:
            lines = [line for line in handle if "ICE selected a pair" in line]
    except OSError:
        return []
    return [line.strip()[-300:] for line in lines][:4]


def family(line: str) -> str:
    """The address family of a logged pair's local address."""
    found = re.search(r"local=(\S+)", line)
    return "ipv6" if found and found.group(1).startswith("[") else "ipv4"


def scenario(args: argparse.Namespace) -> int:
    a, b = agents.Agent("a", args.a), agents.Agent("b", args.b)
    routers = args.routers.split(",")
    result: Dict[str, Any] = {"scenario": args.name, "dht_found": False, "direct": False, "family": args.family}
    poller = None
    try:
        a.load()
        b.load()
        before = counters(routers)
        started = time.monotonic()
        # b publishes; a finds b by DID over the DHT and knocks; b's policy accepts (bounded: 90 s each step).
        agents.connect(a, b)
        result["dht_found"] = True
        result["connect_s"] = round(time.monotonic() - started, 2)
        poller = agents.Poller([a, b])
        talk = onpath.Conversation(a, b)
        # Both ways at once, one every 20 ms; the first send starts the upgrade (the node offers a direct path when
        # it has messages for a contact), and both ends' checks open their firewalls' pinholes.
        first_send = time.monotonic()
        talk.send("chat", args.messages, 0.02)
        deadline = first_send + DIRECT_WAIT
        while poller.both_direct() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        direct_at = poller.both_direct()
        # Once direct (or after the wait), 10 more each way, which must go direct when the path is up.
        talk.send("after", 10, 0.02)
        arrived = talk.arrived(60)
        time.sleep(0.3)  # a duplicate shown late would follow its original within this; then the verdict reads all
        verdict = talk.verdict()
        poller.close()
        metrics = {agent.name: poller.latest.get(agent.name, {}) for agent in (a, b)}
        after = counters(routers)
        paths = {"a_to_b": agents.audit_paths(b, a.did).get("chat.message", {}),
                 "b_to_a": agents.audit_paths(a, b.did).get("chat.message", {})}
        dropped = {r: after[r]["inbound_dropped"] - before[r]["inbound_dropped"] for r in routers}
        stun = {r: after[r]["inbound_stun_dropped"] - before[r]["inbound_stun_dropped"] for r in routers}
        crossed = {r: after[r]["inbound_udp_established"] - before[r]["inbound_udp_established"] for r in routers}
        blackholed = sum(after[r]["v6_blackholed"] - before[r]["v6_blackholed"] for r in routers)
        blackholed_stun = sum(after[r]["v6_blackholed_stun"] - before[r]["v6_blackholed_stun"] for r in routers)
        pairs = {"a": selected_pairs(a.home), "b": selected_pairs(b.home)}
        result.update(
            {
                **verdict,
                "arrived": arrived,
                "direct": direct_at is not None,
                "time_to_direct_ms": None if direct_at is None else int((direct_at - first_send) * 1000),
                "time_to_direct_from": "first send (both ends' /metrics polled every 50 ms)",
                "time_to_direct_node_ms": agents.offer_to_direct(metrics, direct_at),
                "firewall_dropped_inbound": sum(dropped.values()),
                "firewall": {"dropped_inbound": dropped, "stun_dropped_inbound": stun,
                             "inbound_udp_established": crossed,
                             "dropped_from": {r: dropped_from(r) for r in routers},
                             "v6_blackholed": blackholed, "v6_blackholed_stun": blackholed_stun},
                "selected_family": sorted({family(line) for lines in pairs.values() for line in lines}),
                "paths": paths,
                "upgrades": [int(metrics[n].get("meshpeer_direct_upgrades_total", 0)) for n in ("a", "b")],
                "fallbacks": [int(metrics[n].get("meshpeer_direct_fallbacks_total", 0)) for n in ("a", "b")],
                "selected": pairs,
                "log": {"a": agents.log_evidence(a.home), "b": agents.log_evidence(b.home)},
            }
        )
    except Exception as error:  # noqa: BLE001 - the scenario reports its failure rather than vanishing
        say(f"ipv6 scenario: {error!r}")
        result["error"] = str(error)[:500]
    finally:
        if poller is not None:
            poller.close()
        a.close()
        b.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0


def checks(result: Dict[str, Any]) -> Dict[str, bool]:
    """The promises: everything delivered exactly once and in order, a direct path through both firewalls (the
    direct messages' datagrams crossed each firewall as established traffic), and the firewalls' drops reported."""
    crossed = (result.get("firewall") or {}).get("inbound_udp_established", {})
    paths = result.get("paths") or {}
    return {
        "dht_found": result.get("dht_found") is True,
        "delivered_once": result.get("messages_sent", 0) > 0
        and result.get("delivered_once") == result.get("messages_sent"),
        "no_duplicates": result.get("duplicates_shown") == 0 and result.get("forged_shown") == 0,
        "in_order": result.get("in_order") is True,
        "direct": result.get("direct") is True,
        "direct_both_ways": all((paths.get(k) or {}).get("direct", 0) > 0 for k in ("a_to_b", "b_to_a")),
        "through_both_firewalls": len(crossed) == 2 and all(v > 0 for v in crossed.values()),
        "firewall_reported": isinstance(result.get("firewall_dropped_inbound"), int)
        and result["firewall_dropped_inbound"] >= 0,
        # The pair both ends selected is of the cell's family: IPv6 through the firewalls, IPv4 where IPv6 UDP is
        # black-holed (whose IPv6 checks were tried, and dropped, first).
        "selected_family": result.get("selected_family") == [result.get("family")],
        # IPv6 connectivity checks (STUN), not only the DHT's own datagrams, were sent and black-holed.
        **({"ipv6_tried_first": (result.get("firewall") or {}).get("v6_blackholed_stun", 0) > 0}
           if result.get("scenario") == "dual-stack-v6-blackholed" else {}),
    }


def report(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.results:
        try:
            with open(path) as handle:
                result = json.loads(handle.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as error:
            result = {"scenario": os.path.basename(os.path.dirname(path)), "error": f"no result: {error}"}
        result.pop("log", None)
        result["checks"] = checks(result)
        result["ok"] = not result.get("error") and all(result["checks"].values())
        result["elapsed_s"] = args.elapsed
        if result.get("scenario") == "ipv6-firewalls":
            try:
                with open(args.nat_check) as handle:
                    result["nat_check_a"] = json.loads(handle.read().strip().splitlines()[-1])
            except (OSError, ValueError, IndexError) as error:
                result["nat_check_a"] = {"error": str(error)}
        for name, kept in result["checks"].items():
            if not kept:
                say(f"ipv6 lab, {result.get('scenario')}: {name} failed")
        if result.get("error"):
            say(f"ipv6 lab, {result.get('scenario')}: {result['error']}")
        failed += 0 if result["ok"] else 1
        print(json.dumps(result, ensure_ascii=False))
    return 1 if failed or not args.results else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("scenario")
    one.add_argument("--a", required=True, help="NAMESPACE:HOME of the agent that finds and knocks")
    one.add_argument("--b", required=True, help="NAMESPACE:HOME of the agent that publishes")
    one.add_argument("--routers", required=True, help="the two routers' namespaces, comma-separated")
    one.add_argument("--name", default="ipv6-firewalls")
    one.add_argument("--family", choices=("ipv6", "ipv4"), default="ipv6", help="of the direct path expected")
    one.add_argument("--messages", type=int, default=50)
    summary = commands.add_parser("report")
    summary.add_argument("--elapsed", type=int, default=0)
    summary.add_argument("--nat-check", default="", help="`meshpeer nat-check --json` from a's host, shown as is")
    summary.add_argument("results", nargs="*")
    args = parser.parse_args()
    return {"scenario": scenario, "report": report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
