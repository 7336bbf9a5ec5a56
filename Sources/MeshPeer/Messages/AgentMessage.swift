import MeshCore

/// One typed message between two agents, carried inside the ratchet as `SessionPayload.message`.
public struct AgentMessage: Hashable, Sendable {
    /// The largest body (UTF-8 JSON text): 1 MiB − 1 KiB, so the largest message, encrypted and wrapped, fits one
    /// relay envelope with room to spare (`MessageBudget` adds up the layers; a test proves it).
    public static let maximumBodyBytes = 1_047_552
    /// Every field but the body's bytes, at their largest.
    public static let maximumFixedByteCount =
        MessageID.byteCount + 8 + 8 + 1 + 8 + 1 + MessageID.byteCount + 1 + Intent.maximumNameByteCount + 4

    public let id: MessageID
    /// Per conversation, from 1: the receiver hands messages to its agent in this order.
    public let sequence: UInt64
    /// Whole milliseconds.
    public let createdAt: Timestamp
    public let expiresAt: Timestamp?
    public let inReplyTo: MessageID?
    public let intent: String
    /// UTF-8 JSON text (its schema is checked by `IntentSchemas` on send and on receive).
    public let body: [UInt8]

    /// Checks the bounds: sequence ≥ 1, a valid intent name, a body of valid UTF-8 within `maximumBodyBytes`.
    public init(
        id: MessageID,
        sequence: UInt64,
        createdAt: Timestamp,
        expiresAt: Timestamp? = nil,
        inReplyTo: MessageID? = nil,
        intent: String,
        body: [UInt8]
    ) throws {
        guard sequence >= 1 else { throw WireError(.invalidValue, at: 0, "sequence numbers start at 1") }
        do {
            try Intent.validateName(intent)
        } catch {
            throw WireError(.invalidValue, at: 0, error.message)
        }
        guard body.count <= AgentMessage.maximumBodyBytes else {
            throw WireError(.oversize, at: 0, "a body is at most \(AgentMessage.maximumBodyBytes) bytes")
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw WireError(.invalidValue, at: 0, "a body is UTF-8 JSON text")
        }
        self.id = id
        self.sequence = sequence
        self.createdAt = createdAt.wholeMilliseconds
        self.expiresAt = expiresAt?.wholeMilliseconds
        self.inReplyTo = inReplyTo
        self.intent = intent
        self.body = body
    }

    /// `id (16) ‖ sequence (u64) ‖ createdAt (i64 ms) ‖ has-expiry (u8) [i64 ms] ‖ has-reply (u8) [16]
    /// ‖ intent (u8 len) ‖ body (u32 len)`
    func encode(to writer: inout WireWriter) {
        writer.write(raw: id.bytes)
        writer.write(sequence)
        writer.writeMilliseconds(createdAt)
        writer.write(expiresAt != nil)
        if let expiresAt { writer.writeMilliseconds(expiresAt) }
        writer.write(inReplyTo != nil)
        if let inReplyTo { writer.write(raw: inReplyTo.bytes) }
        writer.writeString(intent, .uint8)
        writer.writeLengthPrefixed(body, .uint32)
    }

    init(from reader: inout WireReader) throws {
        let start = reader.position
        let id = try MessageID(from: &reader)
        let sequence = try reader.readUInt64()
        let createdAt = try reader.readMilliseconds()
        let expiresAt = try reader.readOptional { try $0.readMilliseconds() }
        let inReplyTo = try reader.readOptional { try MessageID(from: &$0) }
        let intent = try reader.readString(.uint8, maximum: Intent.maximumNameByteCount)
        let body = try reader.readLengthPrefixed(.uint32, maximum: AgentMessage.maximumBodyBytes)
        do {
            try self.init(
                id: id,
                sequence: sequence,
                createdAt: createdAt,
                expiresAt: expiresAt,
                inReplyTo: inReplyTo,
                intent: intent,
                body: body
            )
        } catch let error as WireError {
            throw WireError(error.code, at: start, error.reason)
        }
    }
}
