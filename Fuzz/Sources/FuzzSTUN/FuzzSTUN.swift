import FuzzSupport
import ICE
import MeshCore

/// The STUN decoder never traps; integrity checks on any decoded message never trap; a decoded message re-encodes
/// to a message that decodes to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = STUNMessage.looksLikeSTUN(bytes)
    guard let decoded = try? STUNMessage.decode(bytes) else { return 0 }
    _ = decoded.verifyIntegrity(key: Array("VOkJxbRl1RmTxUk/WvJxBt".utf8))
    let again = decoded.message.encoded(integrityKey: [1, 2, 3], fingerprint: true)
    if again.count <= STUNLimits.maximumMessageBytes {
        let redecoded = try? STUNMessage.decode(again)
        fuzzCheck(redecoded?.message == decoded.message, "a decoded STUN message does not round-trip")
        fuzzCheck(redecoded?.verifyIntegrity(key: [1, 2, 3]) == true, "our own integrity does not verify")
    }
    return 0
}
