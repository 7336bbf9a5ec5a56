import MeshCore

/// Helpers for the state codecs: optional 32-byte secrets and keys, written as a presence byte and the bytes.
extension WireWriter {
    mutating func writeSecret<K: ContiguousByteStorage>(_ secret: K) {
        secret.withUnsafeBytes { write(raw: $0) }
    }

    mutating func writeOptionalSecret(_ secret: RatchetKey?) {
        write(secret != nil)
        if let secret { writeSecret(secret) }
    }

    mutating func writeOptionalKey(_ key: X25519.PublicKey?) {
        write(key != nil)
        if let key { write(raw: key.rawRepresentation) }
    }
}

extension WireReader {
    mutating func readSecret() throws -> SecureBytes {
        var bytes = try readBytes(RatchetKDF.keyByteCount)
        defer { secureZero(&bytes) }
        return SecureBytes(bytes)
    }

    mutating func readKey() throws -> RatchetKey {
        var bytes = try readBytes(RatchetKey.byteCount)
        return RatchetKey(wiping: &bytes)
    }

    mutating func readOptionalSecret() throws -> RatchetKey? {
        try readBool() ? try readKey() : nil
    }

    mutating func readPublicKey() throws -> X25519.PublicKey {
        try X25519.PublicKey(rawRepresentation: readBytes(X25519.keyByteCount))
    }

    mutating func readOptionalKey() throws -> X25519.PublicKey? {
        try readBool() ? try readPublicKey() : nil
    }

    mutating func readPrivateKey() throws -> X25519.PrivateKey {
        try X25519.PrivateKey(rawRepresentation: readSecret())
    }
}

/// Runs a state decoder and turns any failure into `RatchetError.corruptState`.
func decodingState<T>(_ bytes: SecureBytes, _ body: (inout WireReader) throws -> T) throws -> T {
    var copy = bytes.copyBytes()
    return try decodingState(wiping: &copy, body)
}

/// `decodingState` over an array, zeroed in place afterwards. The reader (which shares the array's buffer) lives
/// only inside `decodeState`, so by the time of the wipe the buffer is uniquely referenced again: zeroing it while
/// the reader still held it would have copied it on write, zeroed the copy and freed the original unwiped.
func decodingState<T>(wiping bytes: inout [UInt8], _ body: (inout WireReader) throws -> T) throws -> T {
    defer { secureZero(&bytes) }
    return try decodeState(bytes, body)
}

private func decodeState<T>(_ bytes: [UInt8], _ body: (inout WireReader) throws -> T) throws -> T {
    var reader = WireReader(bytes)
    do {
        let value = try body(&reader)
        try reader.expectEnd()
        return value
    } catch let error as RatchetError {
        throw error
    } catch {
        throw RatchetError(.corruptState, "stored state does not decode: \(error)")
    }
}

/// Runs a state encoder into guarded memory, zeroing the intermediate array.
func encodingState(_ body: (inout WireWriter) -> Void) -> SecureBytes {
    var writer = WireWriter(capacity: 512)
    body(&writer)
    var bytes = writer.bytes
    defer { secureZero(&bytes) }
    return SecureBytes(bytes)
}
