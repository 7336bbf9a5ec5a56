import FuzzSupport
import MeshCore
import RelayFallback

/// The PROXY protocol v2 decoder never traps; a header's length fits the input and the limit; an address is 4 or
/// 16 bytes; and the reader, fed the same bytes in two pieces, decides exactly as the decoder does on the whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let decoded = Result { () throws(ProxyHeaderError) in try ProxyHeaderDecoder.decode(bytes) }
    if case .success(.header(let header, let length)) = decoded {
        fuzzCheck(length <= bytes.count, "header longer than the input")
        fuzzCheck(length <= ProxyHeaderDecoder.fixedLength + ProxyHeaderDecoder.maximumBodyLength, "over the limit")
        if case .proxied(let source, let destination) = header {
            fuzzCheck([4, 16].contains(source.address.count), "source address of \(source.address.count) bytes")
            fuzzCheck(source.address.count == destination.address.count, "mixed families")
        }
    }
    let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
    var reader = ProxyHeaderReader(mode: .required, now: now)
    let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    var outcome = reader.receive(Array(bytes[..<split]))
    // Bytes the reader was never given, because it had decided on the first piece.
    var unread: [UInt8] = Array(bytes[split...])
    if outcome == .needMore {
        outcome = reader.receive(unread)
        unread = []
    }
    switch (decoded, outcome) {
    case (.success(.needMore), .needMore): break
    case (.success(.header(let header, let length)), .header(let read, let remainder)):
        fuzzCheck(header == read && remainder + unread == Array(bytes[length...]), "reader and decoder disagree")
    case (.failure(let error), .refused(let refusal)):
        fuzzCheck(error.code == refusal.code, "different refusals")
    default:
        fuzzCheck(false, "reader and decoder disagree: \(decoded) vs \(outcome)")
    }
    var untrusted = ProxyHeaderReader(mode: .refuseForged, now: now)
    if case .passThrough(let passed) = untrusted.receive(bytes) {
        fuzzCheck(passed == bytes, "an untrusted peer's bytes were changed")
    }
    return 0
}
