import MeshCore
import Testing

@testable import Ratchet

/// Secrets handed over in an array are zeroed in the buffer that held them (issue 17). Each test checks the
/// buffer's address too: zeroing an array whose buffer is still shared copies it on write, so the caller's
/// variable would read as zeros while the original buffer, holding the secret, is freed unwiped.
@Suite struct SecretWipeTests {
    static let secret = (1...32).map { UInt8($0) }

    /// A fresh array each time: a `var` copied from `secret` would share its buffer, and the wipe would rightly copy.
    func freshSecret() -> [UInt8] { (1...32).map { UInt8($0) } }

    func address(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBytes { $0.baseAddress }
    }

    @Test func aRatchetKeyZeroesTheBufferItWasMadeFrom() {
        var bytes = freshSecret()
        let before = address(bytes)
        let key = RatchetKey(wiping: &bytes)
        #expect(bytes == [UInt8](repeating: 0, count: 32))
        #expect(address(bytes) == before)
        #expect(key.copyBytes() == Self.secret)
    }

    @Test func decodingStateZeroesTheBufferItDecoded() throws {
        var bytes = freshSecret()
        let before = address(bytes)
        let key = try decodingState(wiping: &bytes) { reader in try reader.readKey() }
        #expect(bytes == [UInt8](repeating: 0, count: 32))
        #expect(address(bytes) == before, "the wipe reached a copy, not the buffer the reader read")
        #expect(key.copyBytes() == Self.secret)
    }

    @Test func decodingStateZeroesTheBufferWhenTheStateIsCorrupt() {
        var bytes = freshSecret() + [0xFF]  // a trailing byte: expectEnd fails after the key was read
        let before = address(bytes)
        #expect(throws: RatchetError.self) {
            try decodingState(wiping: &bytes) { reader in try reader.readKey() }
        }
        #expect(bytes == [UInt8](repeating: 0, count: 33))
        #expect(address(bytes) == before)
    }
}
