import FuzzSupport
import MeshCore

/// Frame decoding and the reader's primitives never trap; a decoded frame re-encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let frame = try? Frame.decode(bytes, maximumPayload: 65_536) {
        fuzzCheck(frame.encoded() == bytes, "frame does not round-trip")
        fuzzCheck(frame.payload.count <= 65_536, "payload over the limit was accepted")
    }
    // Drive the reader with the input's own bytes choosing the operations.
    var reader = WireReader(bytes)
    var steps = 0
    while !reader.isAtEnd && steps < 64 {
        steps += 1
        guard let op = try? reader.readUInt8() else { break }
        switch op % 8 {
        case 0: _ = try? reader.readUInt16()
        case 1: _ = try? reader.readUInt32()
        case 2: _ = try? reader.readUInt64()
        case 3: _ = try? reader.readLengthPrefixed(.uint8, maximum: 100)
        case 4: _ = try? reader.readLengthPrefixed(.uint16, maximum: 1_000)
        case 5: _ = try? reader.readString(.uint32, maximum: 10_000)
        case 6: _ = try? reader.readCount(.uint16, maximum: 50)
        default: _ = try? reader.readBool()
        }
        fuzzCheck(reader.position <= bytes.count, "reader ran past the end")
    }
    return 0
}
