import MeshCore
import Testing

/// RFC 7748 §5.2 and §6.1 vectors, low-order rejection, and the Ed25519 → X25519 conversion.
@Suite struct X25519Tests {
    @Test func rfc7748FunctionVector() throws {
        let scalar = try X25519.PrivateKey(
            rawRepresentation: secure("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        )
        let peer = try X25519.PublicKey(
            rawRepresentation: hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
        )
        let output = try scalar.sharedSecret(with: peer)
        #expect(output.copyBytes() == hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"))
    }

    @Test func rfc7748DiffieHellman() throws {
        let alice = try X25519.PrivateKey(
            rawRepresentation: secure("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        )
        let bob = try X25519.PrivateKey(
            rawRepresentation: secure("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        )
        #expect(
            alice.publicKey.rawRepresentation
                == hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        )
        #expect(
            bob.publicKey.rawRepresentation == hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        )
        let shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        #expect(try alice.sharedSecret(with: bob.publicKey).copyBytes() == shared)
        #expect(try bob.sharedSecret(with: alice.publicKey).copyBytes() == shared)
    }

    @Test func lowOrderPeerKeyIsRejected() throws {
        var random = SeededRandom(seed: 3)
        let key = X25519.PrivateKey(using: &random)
        let zeroPoint = try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        #expect(throws: CryptoError(.weakPublicKey, "X25519 peer key has small order")) {
            try key.sharedSecret(with: zeroPoint)
        }
    }

    @Test func convertedKeysAgree() throws {
        var random = SeededRandom(seed: 4)
        let alice = AgentIdentity.generate(using: &random)
        let bob = AgentIdentity.generate(using: &random)
        #expect(try alice.publicKey.agreementKey() == alice.agreementKey.publicKey)
        let ab = try alice.agreementKey.sharedSecret(with: bob.publicKey.agreementKey())
        let ba = try bob.agreementKey.sharedSecret(with: alice.publicKey.agreementKey())
        #expect(ab.constantTimeEquals(ba))
    }
}
