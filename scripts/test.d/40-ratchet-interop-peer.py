"""The independent side of the Ratchet interop test: PyPI's `x3dh` and `doubleratchet`, configured to MeshPeer's
constructions (docs/ratchet.md), driven by the Swift test over stdin/stdout, one JSON object per line.

Every value is hex. Commands: create, bundle, accept, initiate, encrypt, decrypt. Each reply is {"ok": ...} or
{"error": "..."}; the Swift side fails loudly on an error or on any byte that differs.
"""

import asyncio
import hashlib
import hmac
import json
import sys

import nacl.bindings
import nacl.exceptions
import x3dh
import x3dh.identity_key_pair
from doubleratchet import AEAD, AuthenticationFailedException, DoubleRatchet, EncryptedMessage, Header
from doubleratchet.recommended import HashFunction, diffie_hellman_ratchet_curve25519, kdf_hkdf, kdf_separate_hmacs

X3DH_INFO = b"meshpeer/v1/x3dh"
ROOT_INFO = b"meshpeer/v1/ratchet/root"
MESSAGE_KEY_INFO = b"meshpeer/v1/ratchet/message-key"
SIGNED_PREKEY_LABEL = b"meshpeer/v1/signed-prekey"
CHAIN_CONSTANT = b"\x02\x01"  # ck' = HMAC(ck, 0x02) first, then mk = HMAC(ck, 0x01): the package's order
MAX_SKIP = 1000


def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


class MeshX3DH(x3dh.BaseState):
    @staticmethod
    def _encode_public_key(key_format, pub):
        # Identity keys (Ed25519 format) go into AD raw; the signed prekey (Curve25519 format) is signed under
        # MeshPeer's signature domain: len(label) ‖ label ‖ key.
        if key_format is x3dh.IdentityKeyFormat.CURVE_25519:
            return bytes([len(SIGNED_PREKEY_LABEL)]) + SIGNED_PREKEY_LABEL + pub
        return pub


class RootKDF(kdf_hkdf.KDF):
    @staticmethod
    def _get_hash_function():
        return HashFunction.SHA_256

    @staticmethod
    def _get_info():
        return ROOT_INFO


class ChainKDF(kdf_separate_hmacs.KDF):
    @staticmethod
    def _get_hash_function():
        return HashFunction.SHA_256


class XChaChaAEAD(AEAD):
    @staticmethod
    def _cipher(key):
        okm = hkdf_sha256(b"\x00" * 32, key, MESSAGE_KEY_INFO, 56)
        return okm[:32], okm[32:]

    @staticmethod
    async def encrypt(plaintext, key, associated_data):
        k, nonce = XChaChaAEAD._cipher(key)
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated_data, nonce, k)

    @staticmethod
    async def decrypt(ciphertext, key, associated_data):
        k, nonce = XChaChaAEAD._cipher(key)
        try:
            return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, associated_data, nonce, k)
        except nacl.exceptions.CryptoError as error:
            raise AuthenticationFailedException(str(error))


class MeshDoubleRatchet(DoubleRatchet):
    @staticmethod
    def _build_associated_data(associated_data, header):
        # u16 len(AD) ‖ AD ‖ DH ‖ PN (u32 BE) ‖ N (u32 BE), as the Swift side's plain-header variant.
        return (
            len(associated_data).to_bytes(2, "big")
            + associated_data
            + header.ratchet_pub
            + header.previous_sending_chain_length.to_bytes(4, "big")
            + header.sending_chain_length.to_bytes(4, "big")
        )


CONFIG = dict(
    diffie_hellman_ratchet_class=diffie_hellman_ratchet_curve25519.DiffieHellmanRatchet,
    root_chain_kdf=RootKDF,
    message_chain_kdf=ChainKDF,
    message_chain_constant=CHAIN_CONSTANT,
    dos_protection_threshold=MAX_SKIP,
    max_num_skipped_message_keys=2 * MAX_SKIP,
    aead=XChaChaAEAD,
)


def message_json(message):
    return {
        "dh": message.header.ratchet_pub.hex(),
        "pn": message.header.previous_sending_chain_length,
        "n": message.header.sending_chain_length,
        "ciphertext": message.ciphertext.hex(),
    }


def message_from(value):
    header = Header(bytes.fromhex(value["dh"]), value["pn"], value["n"])
    return EncryptedMessage(header, bytes.fromhex(value["ciphertext"]))


class Peer:
    def __init__(self):
        self.state = None
        self.ratchet = None
        self.ad = b""

    async def handle(self, request):
        op = request["op"]
        if op == "create":
            seed = x3dh.identity_key_pair.IdentityKeyPairSeed(bytes.fromhex(request["seed"]))
            self.state = MeshX3DH.create(x3dh.IdentityKeyFormat.ED_25519, x3dh.HashFunction.SHA_256, X3DH_INFO, seed)
            self.state.generate_pre_keys(request.get("prekeys", 3))
            return await self.handle({"op": "bundle"})
        if op == "bundle":
            bundle = self.state.bundle
            return {
                "ik": bundle.identity_key.hex(),
                "spk": bundle.signed_pre_key.hex(),
                "sig": bundle.signed_pre_key_sig.hex(),
                "opks": sorted(key.hex() for key in bundle.pre_keys),
            }
        if op == "accept":
            h = request["x3dh"]
            header = x3dh.Header(
                bytes.fromhex(h["ik"]),
                bytes.fromhex(h["ek"]),
                bytes.fromhex(h["spk"]),
                bytes.fromhex(h["opk"]) if h.get("opk") else None,
            )
            secret, ad, spk = await self.state.get_shared_secret_passive(header, require_pre_key=False)
            if header.pre_key is not None:
                self.state.delete_pre_key(header.pre_key)
            self.ad = ad
            self.ratchet, plaintext = await MeshDoubleRatchet.decrypt_initial_message(
                shared_secret=secret, own_ratchet_priv=spk.priv, message=message_from(request["message"]),
                associated_data=ad, **CONFIG,
            )
            return {"secret": secret.hex(), "ad": ad.hex(), "plaintext": plaintext.hex()}
        if op == "initiate":
            b = request["bundle"]
            bundle = x3dh.Bundle(
                bytes.fromhex(b["ik"]), bytes.fromhex(b["spk"]), bytes.fromhex(b["sig"]),
                frozenset(bytes.fromhex(k) for k in b["opks"]),
            )
            secret, ad, header = await self.state.get_shared_secret_active(bundle, require_pre_key=False)
            self.ad = ad
            self.ratchet, message = await MeshDoubleRatchet.encrypt_initial_message(
                shared_secret=secret, recipient_ratchet_pub=bundle.signed_pre_key,
                message=bytes.fromhex(request["plaintext"]), associated_data=ad, **CONFIG,
            )
            return {
                "secret": secret.hex(), "ad": ad.hex(), "message": message_json(message),
                "x3dh": {
                    "ik": header.identity_key.hex(), "ek": header.ephemeral_key.hex(),
                    "spk": header.signed_pre_key.hex(), "opk": header.pre_key.hex() if header.pre_key else None,
                },
            }
        if op == "encrypt":
            out = []
            for plaintext in request["plaintexts"]:
                out.append(message_json(await self.ratchet.encrypt_message(bytes.fromhex(plaintext), self.ad)))
            return {"messages": out}
        if op == "decrypt":
            out = []
            for message in request["messages"]:
                out.append((await self.ratchet.decrypt_message(message_from(message), self.ad)).hex())
            return {"plaintexts": out}
        raise ValueError(f"unknown op {op}")


async def main():
    peer = Peer()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = {"ok": await peer.handle(json.loads(line))}
        except Exception as error:  # reported to the Swift side, which fails the test
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
