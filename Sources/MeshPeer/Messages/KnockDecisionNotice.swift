import MeshCore

/// The recipient's answer to a knock, sent back over the session the knock started (`SessionPayload.knockDecision`).
public struct KnockDecisionNotice: Hashable, Sendable {
    public static let maximumReasonByteCount = 200

    public let knockID: MessageID
    public let accepted: Bool
    /// Why (≤ 200 bytes), if the owner said.
    public let reason: String?
    /// Where to reach the recipient from now on: its home relays (≤ 4, each ≤ 128 bytes).
    public let recipientRelays: [String]

    public init(knockID: MessageID, accepted: Bool, reason: String? = nil, recipientRelays: [String] = []) throws {
        guard (reason?.utf8.count ?? 0) <= KnockDecisionNotice.maximumReasonByteCount else {
            throw WireError(.oversize, at: 0, "a reason is at most \(KnockDecisionNotice.maximumReasonByteCount) bytes")
        }
        guard recipientRelays.count <= KnockBody.maximumRelays,
            recipientRelays.allSatisfy({ $0.utf8.count <= KnockBody.maximumRelayByteCount })
        else {
            throw WireError(.oversize, at: 0, "at most \(KnockBody.maximumRelays) relays of 128 bytes each")
        }
        self.knockID = knockID
        self.accepted = accepted
        self.reason = reason
        self.recipientRelays = recipientRelays
    }

    /// `knockID (16) ‖ accepted (u8) ‖ has-reason (u8) [u8 len] ‖ relays (u8 count, each u8 len)`
    func encode(to writer: inout WireWriter) {
        writer.write(raw: knockID.bytes)
        writer.write(accepted)
        writer.write(reason != nil)
        if let reason { writer.writeString(reason, .uint8) }
        writer.writeStrings(recipientRelays)
    }

    init(from reader: inout WireReader) throws {
        let knockID = try MessageID(from: &reader)
        let accepted = try reader.readBool()
        let reason = try reader.readOptional {
            try $0.readString(.uint8, maximum: KnockDecisionNotice.maximumReasonByteCount)
        }
        let relays = try reader.readStrings(maximumCount: KnockBody.maximumRelays)
        // Every bound was checked while reading.
        try self.init(knockID: knockID, accepted: accepted, reason: reason, recipientRelays: relays)
    }
}
