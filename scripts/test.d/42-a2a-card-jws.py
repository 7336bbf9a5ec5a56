#!/usr/bin/env python3
"""A2A card signatures (A2A §8.4) across independent implementations, for scripts/test.d/42-a2a-card-jws.sh.

  check CARD DID   A card MeshPeer signed, checked with nothing but the card and the DID:
                   1. the A2A SDK (PyPI a2a-sdk) parses it strictly (unknown fields refused, required fields present);
                   2. jwcrypto (an independent JOSE library) verifies the JWS over rfc8785's (an independent JCS)
                      canonical form of the card without `signatures` and default values (A2A §8.4.3), with the
                      Ed25519 key taken from the did:key itself (base58btc, multicodec 0xed01), and the kid naming
                      that DID;
                   3. the A2A SDK's own verifier (a2a.utils.signing, PyJWT) accepts it too.
  sign OUT         Makes a fresh Ed25519 key and signs a card with jwcrypto over rfc8785's canonical form (with
                   non-ASCII text, escapes and numbers that JCS must write exactly); writes OUT and prints the DID.
  sign-sdk OUT     The same card signed by the A2A SDK's own signer (PyJWT); prints the DID.
  sign-many DIR N  N cards with random params (awkward numbers, strings and keys) signed over rfc8785; prints
                   "FILE DID" per card.
Exits non-zero, saying why, on any failure.
"""
import base64
import copy
import json
import math
import struct
import sys

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from google.protobuf import json_format
from jwcrypto import jwk, jws

from a2a.types import AgentCard
from a2a.utils.proto_utils import validate_proto_required_fields

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    number = 0
    for character in text:
        number = number * 58 + B58.index(character)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + raw


def b58encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = B58[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + out


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_from_did(did: str) -> bytes:
    if not did.startswith("did:key:z"):
        raise ValueError(f"{did} is not a base58btc did:key")
    decoded = b58decode(did[len("did:key:z"):])
    if decoded[:2] != b"\xed\x01" or len(decoded) != 34:
        raise ValueError(f"{did} does not name an Ed25519 key")
    return decoded[2:]


def did_of(public: bytes) -> str:
    return "did:key:z" + b58encode(b"\xed\x01" + public)


def kid_of(did: str) -> str:
    return did + "#" + did[len("did:key:"):]


def ed25519_jwk(public: bytes) -> jwk.JWK:
    return jwk.JWK(kty="OKP", crv="Ed25519", x=b64url(public))


def without_defaults(card):
    """A2A §8.4.3 step 3, written here from the spec: nulls, empty strings, lists and objects go at every depth
    (a container left empty goes too), and so does `capabilities.extensions[].required` when false (a proto3
    default, the card's one non-optional bool)."""
    card = copy.deepcopy(card)
    extensions = card.get("capabilities", {}).get("extensions") if isinstance(card, dict) else None
    if isinstance(extensions, list):
        for item in extensions:
            if isinstance(item, dict) and item.get("required") is False:
                del item["required"]
    return without_empty(card)


def without_empty(value):
    if isinstance(value, dict):
        kept = {k: c for k, v in value.items() if (c := without_empty(v)) is not None}
        return kept or None
    if isinstance(value, list):
        kept = [c for v in value if (c := without_empty(v)) is not None]
        return kept or None
    if value is None or value == "":
        return None
    return value


def check(path: str, did: str) -> None:
    text = open(path, encoding="utf-8").read()
    card = json.loads(text)
    # 1. The A2A SDK parses it strictly.
    message = json_format.Parse(text, AgentCard(), ignore_unknown_fields=False)
    validate_proto_required_fields(message)
    if len(message.signatures) != 1:
        raise ValueError(f"expected one signature, the SDK sees {len(message.signatures)}")
    print(f"ok   the A2A SDK parses the card strictly ({message.name!r}, {len(text.encode())} bytes)")
    # 2. jwcrypto + rfc8785, from the DID alone.
    public = key_from_did(did)
    entry = card["signatures"][0]
    header = json.loads(base64.urlsafe_b64decode(entry["protected"] + "=" * (-len(entry["protected"]) % 4)))
    if header.get("alg") != "EdDSA" or header.get("kid") != kid_of(did):
        raise ValueError(f"unexpected protected header {header}")
    unsigned = without_defaults({key: value for key, value in card.items() if key != "signatures"})
    payload = rfc8785.dumps(unsigned)
    token = jws.JWS()
    token.deserialize(json.dumps({"protected": entry["protected"], "signature": entry["signature"],
                                  "payload": b64url(payload)}))
    token.verify(ed25519_jwk(public), alg="EdDSA")
    print(f"ok   jwcrypto verifies the JWS over rfc8785's canonical card ({len(payload)} bytes) under {did}")
    # A changed card must not verify (the check above can fail).
    tampered = copy.deepcopy(unsigned)
    tampered["name"] = tampered["name"] + "!"
    forged = jws.JWS()
    forged.deserialize(json.dumps({"protected": entry["protected"], "signature": entry["signature"],
                                   "payload": b64url(rfc8785.dumps(tampered))}))
    try:
        forged.verify(ed25519_jwk(public), alg="EdDSA")
    except jws.InvalidJWSSignature:
        print("ok   jwcrypto refuses the same signature over a changed card")
    else:
        raise ValueError("a changed card verified")
    # 3. The A2A SDK's own verifier.
    from a2a.utils.signing import create_signature_verifier
    from jwt.api_jwk import PyJWK

    def key_provider(kid, jku):
        if kid != kid_of(did):
            raise ValueError(f"unknown kid {kid}")
        return PyJWK({"kty": "OKP", "crv": "Ed25519", "x": b64url(public)}, algorithm="EdDSA")

    create_signature_verifier(key_provider, ["EdDSA"])(message)
    print("ok   the A2A SDK's signature verifier accepts it")


SAMPLE_CARD = {
    "name": "Zoë's translator — «quotes» \"and\" back\\slash",
    "description": "Übersetzt Verträge.\nLine two\tand a tab; emoji \U0001F600; euro \u20ac.",
    "version": "1.0.0",
    "supportedInterfaces": [{"url": "https://agent.example.com/a2a", "protocolBinding": "JSONRPC",
                             "protocolVersion": "1.0"}],
    "capabilities": {"streaming": True, "extensions": [
        {"uri": "https://agent.example.com/ext/v1", "params": {"ratio": 0.5, "big": 1e21, "small": 1e-7,
                                                               "count": 3, "nested": {"b": [1, 2.25], "a": None}}}]},
    "defaultInputModes": ["text/plain"],
    "defaultOutputModes": ["application/json"],
    "skills": [{"id": "translate", "name": "Translate", "description": "Translates.", "tags": ["translation"]}],
}


def sign(path: str) -> None:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    did = did_of(public)
    card = json.loads(json.dumps(SAMPLE_CARD))
    # The SDK's view of a card has no nulls; sign what every reader sees.
    del card["capabilities"]["extensions"][0]["params"]["nested"]["a"]
    payload = rfc8785.dumps(card)
    key = jwk.JWK.from_pyca(private)
    token = jws.JWS(payload)
    token.add_signature(key, alg="EdDSA", protected=json.dumps({"alg": "EdDSA", "kid": kid_of(did), "typ": "JOSE"}))
    general = json.loads(token.serialize())
    card["signatures"] = [{"protected": general["protected"], "signature": general["signature"]}]
    with open(path, "w", encoding="utf-8") as out:
        json.dump(card, out, ensure_ascii=False, indent=2)
    print(did)


def random_text(rng, length: int) -> str:
    """Code points JCS must handle (C0 and C1 controls, quotes, Latin-1, CJK, astral emoji), none combining, so no
    two different strings are canonically equivalent (a reader that compares by equivalence stays exact)."""
    ranges = [(0x20, 0x7E), (0x00, 0x1F), (0x80, 0xFF), (0x4E00, 0x4E80), (0x1F600, 0x1F640), (0x22, 0x22),
              (0x5C, 0x5C), (0x7F, 0x7F), (0x2028, 0x2029), (0xFFF0, 0xFFFD)]
    out = []
    for _ in range(length):
        low, high = rng.choice(ranges)
        out.append(chr(rng.randint(low, high)))
    return "".join(out) or "x"


def random_number(rng):
    choice = rng.randrange(4)
    if choice == 0:
        return rng.randint(-(2**53) + 1, 2**53 - 1)
    if choice == 1:
        return rng.randint(-1000, 1000)
    while True:
        value = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        if math.isfinite(value):
            return value if choice == 2 else value / 1e300 if abs(value) > 1 else value


def random_value(rng, depth: int):
    kind = rng.randrange(6 if depth < 4 else 3)
    if kind == 0:
        return random_number(rng)
    if kind == 1:
        return random_text(rng, rng.randint(1, 12))
    if kind == 2:
        return rng.choice([True, False])
    if kind == 3:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(1, 4))]
    return {random_text(rng, rng.randint(1, 6)): random_value(rng, depth + 1) for _ in range(rng.randint(1, 5))}


def sign_many(folder: str, count: int) -> None:
    """COUNT cards with random params (numbers from random bit patterns, strings of awkward code points, keys that
    sort differently by UTF-16 and by code point), each signed with jwcrypto over rfc8785; a line per card: the
    file name and the DID. Our verifier accepting all of them means our JCS writes what rfc8785 writes."""
    import pathlib
    import random

    rng = random.Random(8785)
    for index in range(count):
        private = Ed25519PrivateKey.generate()
        did = did_of(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        card = json.loads(json.dumps(SAMPLE_CARD))
        card["description"] = random_text(rng, 40)
        card["capabilities"]["extensions"][0]["params"] = {
            random_text(rng, rng.randint(1, 6)): random_value(rng, 0) for _ in range(rng.randint(3, 8))
        }
        card = without_defaults(card)
        token = jws.JWS(rfc8785.dumps(card))
        token.add_signature(jwk.JWK.from_pyca(private), alg="EdDSA",
                            protected=json.dumps({"alg": "EdDSA", "kid": kid_of(did), "typ": "JOSE"}))
        general = json.loads(token.serialize())
        card["signatures"] = [{"protected": general["protected"], "signature": general["signature"]}]
        path = pathlib.Path(folder) / f"random-{index:03}.json"
        path.write_text(json.dumps(card, ensure_ascii=rng.choice([True, False])), encoding="utf-8")
        print(path, did)


def sign_sdk(path: str) -> None:
    from a2a.utils.signing import create_agent_card_signer
    from jwt.api_jwk import PyJWK

    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    did = did_of(public)
    secret = jwk.JWK.from_pyca(private).export(private_key=True, as_dict=True)
    signer = create_agent_card_signer(PyJWK(secret, algorithm="EdDSA"),
                                      {"alg": "EdDSA", "kid": kid_of(did), "typ": "JOSE"})
    message = json_format.Parse(json.dumps(SAMPLE_CARD), AgentCard(), ignore_unknown_fields=False)
    signed = signer(message)
    with open(path, "w", encoding="utf-8") as out:
        out.write(json_format.MessageToJson(signed))
    print(did)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if command == "check" and len(sys.argv) == 4:
            check(sys.argv[2], sys.argv[3])
        elif command == "sign" and len(sys.argv) == 3:
            sign(sys.argv[2])
        elif command == "sign-sdk" and len(sys.argv) == 3:
            sign_sdk(sys.argv[2])
        elif command == "sign-many" and len(sys.argv) == 4:
            sign_many(sys.argv[2], int(sys.argv[3]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as error:  # noqa: BLE001 - any failure of any library fails the check
        print(f"FAIL {command}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
