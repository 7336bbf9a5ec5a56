import MeshCore

/// The sender-chosen 16-byte identity of an envelope: the key for duplicate suppression and acknowledgement.
///
/// Senders draw it at random, so an envelope resent after a reconnect keeps its ID and is stored at most once.
public struct EnvelopeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 16
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == EnvelopeID.byteCount else {
            throw WireError(.invalidValue, at: 0, "an envelope ID is 16 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// One call over all the bytes. The synthesized version feeds the array element by element, and the relay's
    /// and the DHT's dictionaries keyed by envelope IDs spent a tenth of their time there.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func random<R: RandomSource>(using random: inout R) -> EnvelopeID {
        EnvelopeID(unchecked: random.bytes(count: byteCount))
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(from reader: inout WireReader) throws {
        bytes = try reader.readBytes(EnvelopeID.byteCount)
    }

    public static func < (lhs: EnvelopeID, rhs: EnvelopeID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

extension NodeID {
    init(relayWire reader: inout WireReader) throws {
        let start = reader.position
        do {
            try self.init(bytes: try reader.readBytes(NodeID.byteCount))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.invalidValue, at: start, "bad node ID")
        }
    }
}
