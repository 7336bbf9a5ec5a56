import FuzzSupport
import MeshPeer

/// A record's address hints come from whoever signed the record: decoding never traps, a hint that decodes
/// re-encodes to exactly its bytes, and `known(in:)` keeps only hints that decode on their own.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let hint = try? AddressHint.decode(bytes) {
        fuzzCheck(hint.bytes == bytes, "a hint re-encodes to other bytes")
        fuzzCheck(hint.address.port != 0, "a hint with port 0 accepted")
    }
    // The same bytes cut into a record's worth of hints (≤ 4 × ≤ 32 bytes), as `AgentRecord` delivers them.
    var hints: [[UInt8]] = []
    var rest = bytes[...]
    while let length = rest.first, hints.count < 4 {
        let count = min(Int(length % 33), rest.count - 1)
        hints.append(Array(rest.dropFirst().prefix(count)))
        rest = rest.dropFirst(1 + count)
    }
    let known = AddressHint.known(in: hints)
    fuzzCheck(known.count <= hints.count, "more hints known than given")
    for hint in known { fuzzCheck(hints.contains(hint.bytes), "a known hint that was not given") }
    return 0
}
