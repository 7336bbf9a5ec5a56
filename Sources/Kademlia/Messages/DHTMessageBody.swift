import MeshCore

/// What every DHT datagram carries before its authenticator, a signature (`SignedMessage`) or a pair tag
/// (`TaggedMessage`): `sender key (32) ‖ timestamp ms (i64) ‖ transaction ID (u64) ‖ flags (u8) ‖ message`.
/// One encoder and one decoder for both kinds, so the two layouts cannot drift apart.
public struct DHTMessageBody: Hashable, Sendable {
    public var sender: Ed25519.PublicKey
    public var timestamp: Timestamp
    public var transactionID: UInt64
    public var flags: UInt8
    public var message: KademliaMessage

    /// The body's bytes: what a signature covers, and what a tag covers with the recipient's key after it.
    static func encode(
        _ sender: Ed25519.PublicKey,
        _ timestamp: Timestamp,
        _ transactionID: UInt64,
        _ flags: UInt8,
        _ message: KademliaMessage
    ) -> [UInt8] {
        var writer = WireWriter(capacity: 256)
        writer.write(raw: sender.rawRepresentation)
        writer.write(timestamp.millisecondsSinceEpoch)
        writer.write(transactionID)
        writer.write(flags)
        message.encode(to: &writer)
        return writer.bytes
    }

    /// The datagram: a frame of `type` whose payload is `body ‖ authenticator` (`decode` reads it back).
    static func frame(type: UInt16, body: [UInt8], authenticator: some Collection<UInt8>) -> [UInt8] {
        var payload = body
        payload.append(contentsOf: authenticator)
        return Frame(type: type, payload: payload).encoded()
    }

    /// Decodes a frame of `type` whose payload is a body followed by `authenticatorCount` bytes, which it returns
    /// unchecked beside the body. `kind` names the datagram in errors.
    static func decode(
        _ datagram: [UInt8],
        maximumSize: Int,
        type: UInt16,
        authenticatorCount: Int,
        kind: String
    ) throws -> (body: DHTMessageBody, authenticator: [UInt8]) {
        let frame = try Frame.decode(datagram, maximumPayload: maximumSize)
        guard frame.type == type else {
            throw WireError(.unknownType, at: 3, "frame type \(frame.type) is not a \(kind)")
        }
        let minimum = 32 + 8 + 8 + 1 + authenticatorCount
        guard frame.payload.count >= minimum else {
            throw WireError(.truncated, at: Frame.headerByteCount, "a \(kind) is at least \(minimum) bytes")
        }
        var reader = WireReader(Array(frame.payload.dropLast(authenticatorCount)))
        let sender = try Ed25519.PublicKey(rawRepresentation: try reader.readBytes(Ed25519.publicKeyByteCount))
        let timestamp = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        let transactionID = try reader.readUInt64()
        let flags = try reader.readUInt8()
        let message = try KademliaMessage(from: &reader)
        try reader.expectEnd()
        let body = DHTMessageBody(
            sender: sender,
            timestamp: timestamp,
            transactionID: transactionID,
            flags: flags,
            message: message
        )
        return (body, Array(frame.payload.suffix(authenticatorCount)))
    }
}
