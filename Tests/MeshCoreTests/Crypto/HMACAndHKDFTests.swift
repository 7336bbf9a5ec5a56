import MeshCore
import Testing

/// RFC 4231 (HMAC-SHA-256/512) and RFC 5869 (HKDF-SHA-256) vectors.
@Suite struct HMACAndHKDFTests {
    @Test func rfc4231Case1() {
        let key = [UInt8](repeating: 0x0B, count: 20)
        let data = Array("Hi There".utf8)
        #expect(
            HMAC<SHA256>.authenticationCode(for: data, key: key)
                == hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        )
        #expect(
            HMAC<SHA512>.authenticationCode(for: data, key: key)
                == hex(
                    """
                    87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde
                    daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854
                    """
                )
        )
    }

    @Test func rfc4231Case2ShortKey() {
        let code = HMAC<SHA256>.authenticationCode(
            for: Array("what do ya want for nothing?".utf8),
            key: Array("Jefe".utf8)
        )
        #expect(code == hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        #expect(HMAC<SHA256>.isValid(code, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
        #expect(!HMAC<SHA256>.isValid(code, for: Array("what do ya want for nothing!".utf8), key: Array("Jefe".utf8)))
    }

    @Test func rfc4231Case6KeyLongerThanBlock() {
        let key = [UInt8](repeating: 0xAA, count: 131)
        let data = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        #expect(
            HMAC<SHA256>.authenticationCode(for: data, key: key)
                == hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        )
    }

    @Test func rfc5869Case1() throws {
        let ikm = [UInt8](repeating: 0x0B, count: 22)
        let salt = hex("000102030405060708090a0b0c")
        let info = hex("f0f1f2f3f4f5f6f7f8f9")
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: ikm, salt: salt)
        #expect(prk.copyBytes() == hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"))
        let okm = try HKDF<SHA256>.deriveKey(inputKeyMaterial: ikm, salt: salt, info: info, outputByteCount: 42)
        #expect(
            okm.copyBytes()
                == hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        )
    }

    @Test func rfc5869Case3EmptySaltAndInfo() throws {
        let ikm = [UInt8](repeating: 0x0B, count: 22)
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: ikm, salt: [])
        #expect(prk.copyBytes() == hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"))
        let okm = try HKDF<SHA256>.deriveKey(inputKeyMaterial: ikm, salt: [], info: [], outputByteCount: 42)
        #expect(
            okm.copyBytes()
                == hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        )
    }

    /// The secret-salt overload (the ratchet salts KDF_RK with its root key, held in `SecureBytes`) gives the
    /// RFC's answers, and an empty secret salt acts as HashLen zero bytes like the array overload's.
    @Test func rfc5869WithASecretSalt() throws {
        let ikm = [UInt8](repeating: 0x0B, count: 22)
        let salt = SecureBytes(hex("000102030405060708090a0b0c"))
        let info = hex("f0f1f2f3f4f5f6f7f8f9")
        let okm = try HKDF<SHA256>.deriveKey(inputKeyMaterial: ikm, secretSalt: salt, info: info, outputByteCount: 42)
        #expect(
            okm.copyBytes()
                == hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        )
        let zeroSalt = HKDF<SHA256>.extract(
            inputKeyMaterial: ikm,
            secretSalt: SecureBytes([UInt8](repeating: 0, count: 32))
        )
        let emptySalt = HKDF<SHA256>.extract(inputKeyMaterial: ikm, secretSalt: SecureBytes([UInt8]()))
        #expect(zeroSalt.copyBytes() == hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"))
        #expect(emptySalt.copyBytes() == zeroSalt.copyBytes())
    }

    @Test func hkdfRefusesOverlongOutput() {
        #expect(throws: CryptoError.self) {
            try HKDF<SHA256>.deriveKey(inputKeyMaterial: [1], salt: [], info: [], outputByteCount: 255 * 32 + 1)
        }
    }

    @Test func hashVectors() {
        let abc = Array("abc".utf8)
        #expect(SHA256.hash(abc) == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(
            SHA512.hash(abc)
                == hex(
                    """
                    ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a
                    2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f
                    """
                )
        )
        // RFC 7693 Appendix A: BLAKE2b-512("abc").
        #expect(
            BLAKE2b.hash(abc, outputByteCount: 64)
                == hex(
                    """
                    ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1
                    7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923
                    """
                )
        )
    }
}
