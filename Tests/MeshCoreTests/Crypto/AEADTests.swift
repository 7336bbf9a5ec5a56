import MeshCore
import Testing

/// draft-irtf-cfrg-xchacha-03 §A.3.1, plus tamper and misuse cases.
@Suite struct AEADTests {
    let key = secure("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
    let nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657")
    let aad = hex("50515253c0c1c2c3c4c5c6c7")
    let plaintext = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
            .utf8
    )
    let expected = hex(
        """
        bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
        731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
        2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
        21f9664c97637da9768812f615c68b13b52e
        c0875924c1c7987947deafd8780acf49
        """
    )

    @Test func draftVector() throws {
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        #expect(sealed == expected)
        #expect(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, authenticating: aad) == plaintext)
    }

    @Test func anyAlterationFails() throws {
        for index in [0, 57, expected.count - 1] {
            var tampered = expected
            tampered[index] ^= 0x01
            #expect(throws: CryptoError.self) {
                try XChaCha20Poly1305.open(tampered, key: key, nonce: nonce, authenticating: aad)
            }
        }
        #expect(throws: CryptoError.self) {
            try XChaCha20Poly1305.open(expected, key: key, nonce: nonce, authenticating: aad + [0])
        }
        #expect(throws: CryptoError.self) {
            try XChaCha20Poly1305.open(Array(expected.prefix(15)), key: key, nonce: nonce, authenticating: aad)
        }
    }

    @Test func wrongSizesAreTypedErrors() {
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.seal([1], key: key, nonce: [0, 1]) }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.seal([1], key: SecureBytes([1]), nonce: nonce) }
    }

    @Test func secretBoxRoundTripAndTamper() throws {
        var random = SeededRandom(seed: 5)
        let boxKey = random.secureBytes(count: SecretBox.keyByteCount)
        let boxNonce = random.bytes(count: SecretBox.nonceByteCount)
        let secret = SecureBytes(Array("seed material".utf8))
        var sealed = try SecretBox.seal(secret, key: boxKey, nonce: boxNonce)
        #expect(try SecretBox.open(sealed, key: boxKey, nonce: boxNonce).constantTimeEquals(secret))
        sealed[3] ^= 0x10
        #expect(throws: CryptoError.self) { try SecretBox.open(sealed, key: boxKey, nonce: boxNonce) }
    }
}
