#!/usr/bin/env python3
"""Parses every *.json card in a folder with the official A2A SDK (PyPI a2a-sdk), as strictly as it allows.

For each card:
  1. google.protobuf.json_format.Parse into a2a.types.AgentCard with unknown fields refused
     (ignore_unknown_fields=False): every member must be an AgentCard field of the right type;
  2. a2a.utils.proto_utils.validate_proto_required_fields: every field the A2A spec marks REQUIRED is present
     and non-empty (name, description, version, supportedInterfaces, capabilities, default modes, skills with
     id, name, description and tags), recursively;
  3. a check that every urn:meshpeer: extension sits in capabilities.extensions with a uri and params.

Exits non-zero, naming the card and the problem, on the first failure of any card.
Usage: check_cards.py FOLDER [EXPECTED_COUNT]
"""
import json
import pathlib
import sys

from google.protobuf import json_format

import a2a
from a2a.types import AgentCard
from a2a.utils.proto_utils import validate_proto_required_fields


def check(path: pathlib.Path) -> str:
    text = path.read_text(encoding="utf-8")
    card = json_format.Parse(text, AgentCard(), ignore_unknown_fields=False)
    validate_proto_required_fields(card)
    if not card.skills or any(not skill.tags for skill in card.skills):
        raise ValueError("a skill without tags")
    for extension in card.capabilities.extensions:
        if extension.uri.startswith("urn:meshpeer:") and not extension.params:
            raise ValueError(f"{extension.uri} has no params")
    # Every member of the JSON is an AgentCard field: a round trip through the SDK keeps all of it.
    round_trip = json_format.MessageToDict(card)
    if len(round_trip) < len(json.loads(text)):
        raise ValueError("members were lost in the SDK's round trip")
    return f"{card.name!r}: {len(card.skills)} skills, {len(text.encode())} bytes"


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    expected = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    cards = sorted(folder.glob("*.json"))
    if len(cards) < expected:
        print(f"expected at least {expected} cards in {folder}, found {len(cards)}", file=sys.stderr)
        return 1
    version = getattr(a2a, "__version__", None)
    if version is None:
        from importlib.metadata import version as package_version

        version = package_version("a2a-sdk")
    print(f"a2a-sdk {version}")
    for path in cards:
        try:
            summary = check(path)
        except Exception as error:  # noqa: BLE001 - any failure of the SDK's parser fails the check
            detail = getattr(error, "data", None) or ""
            print(f"FAIL {path.name}: {type(error).__name__}: {error} {detail}", file=sys.stderr)
            return 1
        print(f"ok   {path.name}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
