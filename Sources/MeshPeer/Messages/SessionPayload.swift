import MeshCore

/// What travels inside the ratchet between two agents.
///
/// Wire form (version 1): `version (u8 = 1) ‖ kind (u8) ‖ body`, kinds 1 knock (`KnockBody`), 2 message
/// (`AgentMessage`), 3 receipt (`u16 count` 1...256 ‖ 16-byte IDs), 4 knock decision (`KnockDecisionNotice`),
/// 5 direct-path signal (`PathSignal`).
/// Strict: unknown version or kind, any bound exceeded, or trailing bytes throw `WireError`.
public enum SessionPayload: Hashable, Sendable {
    case knock(KnockBody)
    case message(AgentMessage)
    /// Message IDs received and stored (1 ... `maximumReceiptIDs`).
    case receipt([MessageID])
    case knockDecision(KnockDecisionNotice)
    /// ICE offer, answer, trickled candidates, decline or close of a direct path (`PathManager`).
    case path(PathSignal)

    public static let currentVersion: UInt8 = 1
    public static let headerByteCount = 2
    public static let maximumReceiptIDs = 256
    /// The largest payload: what the ratchet may seal so the session frame still fits one relay envelope.
    public static let maximumByteCount = MessageBudget.maximumSessionPayloadByteCount

    public enum Kind: UInt8, Hashable, Sendable {
        case knock = 1
        case message = 2
        case receipt = 3
        case knockDecision = 4
        case path = 5
    }

    public var kind: Kind {
        switch self {
        case .knock: .knock
        case .message: .message
        case .receipt: .receipt
        case .knockDecision: .knockDecision
        case .path: .path
        }
    }

    /// Traps on a receipt outside 1 ... 256 IDs (split larger batches): we only encode what we built.
    public func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        writer.write(SessionPayload.currentVersion)
        writer.write(kind.rawValue)
        switch self {
        case .knock(let body): body.encode(to: &writer)
        case .message(let message): message.encode(to: &writer)
        case .receipt(let ids):
            precondition((1...SessionPayload.maximumReceiptIDs).contains(ids.count), "a receipt names 1-256 IDs")
            writer.writeCount(ids.count, .uint16)
            for id in ids { writer.write(raw: id.bytes) }
        case .knockDecision(let notice): notice.encode(to: &writer)
        case .path(let signal): signal.encode(to: &writer)
        }
        return writer.bytes
    }

    /// Strict decoding of one whole payload. Throws `WireError`; never traps.
    public static func decode(_ bytes: [UInt8]) throws -> SessionPayload {
        guard bytes.count <= maximumByteCount else {
            throw WireError(.oversize, at: 0, "\(bytes.count) bytes exceed the payload limit of \(maximumByteCount)")
        }
        var reader = WireReader(bytes)
        let version = try reader.readUInt8()
        guard version == currentVersion else {
            throw WireError(.unsupportedVersion, at: 0, "session payload version \(version) is not supported")
        }
        let raw = try reader.readUInt8()
        guard let kind = Kind(rawValue: raw) else {
            throw WireError(.unknownType, at: 1, "session payload kind \(raw) is unknown")
        }
        let payload: SessionPayload
        switch kind {
        case .knock: payload = .knock(try KnockBody(from: &reader))
        case .message: payload = .message(try AgentMessage(from: &reader))
        case .receipt:
            let start = reader.position
            let count = try reader.readCount(.uint16, maximum: maximumReceiptIDs)
            guard count >= 1 else { throw WireError(.invalidValue, at: start, "an empty receipt") }
            var ids: [MessageID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try MessageID(from: &reader)) }
            payload = .receipt(ids)
        case .knockDecision: payload = .knockDecision(try KnockDecisionNotice(from: &reader))
        case .path: payload = .path(try PathSignal(from: &reader))
        }
        try reader.expectEnd()
        return payload
    }
}
