import MeshCore

/// Timestamps travel as signed milliseconds since the epoch (`i64`).
extension Timestamp {
    /// The instant truncated to whole milliseconds: what survives a trip over the wire.
    var wholeMilliseconds: Timestamp {
        Timestamp(nanosecondsSinceEpoch: millisecondsSinceEpoch * 1_000_000)
    }
}

extension WireWriter {
    mutating func writeMilliseconds(_ instant: Timestamp) {
        write(instant.millisecondsSinceEpoch)
    }
}

extension WireReader {
    /// Milliseconds that do not fit a `Timestamp` (about ±292 years around 1970) are an error, not a trap.
    mutating func readMilliseconds() throws -> Timestamp {
        let start = position
        let milliseconds = try readInt64()
        let (nanoseconds, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { throw WireError(.invalidValue, at: start, "timestamp out of range") }
        return Timestamp(nanosecondsSinceEpoch: nanoseconds)
    }

    /// A 32-byte Ed25519 public key, validated (a bad key is `invalidValue`).
    mutating func readPublicKey() throws -> Ed25519.PublicKey {
        let start = position
        let raw = try readBytes(Ed25519.publicKeyByteCount)
        guard let key = try? Ed25519.PublicKey(rawRepresentation: raw) else {
            throw WireError(.invalidValue, at: start, "not a valid Ed25519 public key")
        }
        return key
    }

    mutating func readSignature() throws -> Ed25519.Signature {
        let start = position
        let raw = try readBytes(Ed25519.signatureByteCount)
        guard let signature = try? Ed25519.Signature(rawRepresentation: raw) else {
            throw WireError(.invalidValue, at: start, "bad signature encoding")
        }
        return signature
    }

    /// A `u8` presence flag followed by the value when it is 1.
    mutating func readOptional<T>(_ read: (inout WireReader) throws -> T) throws -> T? {
        try readBool() ? try read(&self) : nil
    }
}
