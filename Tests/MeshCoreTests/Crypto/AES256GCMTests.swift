import MeshCore
import Testing

/// The GCM specification's test case 16 (AES-256, 96-bit IV, additional data), in place, plus tampering. On a CPU
/// without AES-NI the key cannot be made, and that refusal is what is checked.
@Suite struct AES256GCMTests {
    let key = secure("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
    let nonce = hex("cafebabefacedbaddecaf888")
    let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    let plaintext = hex(
        """
        d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
        1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39
        """
    )
    let expected = hex(
        """
        522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
        8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
        76fc6ece0f4e1768cddf8853bb2d551b
        """
    )

    @Test func specificationVectorInPlaceAndTamperingFails() throws {
        guard AES256GCM.isAvailable else {
            #expect(throws: CryptoError.self) { try AES256GCM.Key(key) }
            return
        }
        let expanded = try AES256GCM.Key(key)
        var buffer = aad + plaintext + [UInt8](repeating: 0, count: AES256GCM.tagByteCount)
        AES256GCM.sealInPlace(&buffer, additionalDataCount: aad.count, key: expanded, nonce: nonce)
        #expect(Array(buffer.dropFirst(aad.count)) == expected)
        #expect(Array(buffer.prefix(aad.count)) == aad, "additional data is authenticated, not encrypted")
        var opened = buffer
        let range = try AES256GCM.openInPlace(&opened, additionalDataCount: aad.count, key: expanded, nonce: nonce)
        #expect(Array(opened[range]) == plaintext)
        for index in [0, aad.count, buffer.count - 1] {
            var tampered = buffer
            tampered[index] ^= 1
            #expect(throws: CryptoError.self) {
                try AES256GCM.openInPlace(&tampered, additionalDataCount: aad.count, key: expanded, nonce: nonce)
            }
        }
        var short = [UInt8](repeating: 0, count: 15)
        #expect(throws: CryptoError.self) {
            try AES256GCM.openInPlace(&short, additionalDataCount: 0, key: expanded, nonce: nonce)
        }
        #expect(throws: CryptoError.self) { try AES256GCM.Key(SecureBytes([UInt8](repeating: 1, count: 16))) }
    }
}
