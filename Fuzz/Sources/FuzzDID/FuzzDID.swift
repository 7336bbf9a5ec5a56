import FuzzSupport
import MeshCore

/// DID, base58 and hex decoding never trap; a decoded DID re-encodes to exactly the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let key = try? DIDKey.decode(text) {
        fuzzCheck(key.did == text, "DID decoding is not canonical")
    }
    if let decoded = Base58.decode(text) {
        fuzzCheck(Base58.decode(Base58.encode(decoded)) == decoded, "base58 does not round-trip")
    }
    if let decoded = Hex.decode(text) {
        fuzzCheck(Hex.decode(Hex.encode(decoded)) == decoded, "hex does not round-trip")
    }
    return 0
}
