import MeshCore

/// A DHT datagram to a node that takes pair tags: a `Frame` of type `TaggedMessage.frameType` whose payload is
///
/// ```
/// sender key (32) ‖ timestamp ms (i64) ‖ transaction ID (u64) ‖ flags (u8) ‖ message ‖ tag (32)
/// ```
///
/// A `SignedMessage`'s layout with a pair tag where the signature was: HMAC-SHA256, under the key the two nodes
/// share (`PairKey`), over everything before the tag followed by the recipient's public key (decision 0124).
///
/// Why it is enough: only the two holders of the pair's secret keys can make the tag, and the recipient knows it
/// did not make this one, so it authenticates the sender to the recipient as a signature does. The recipient's
/// key in the input makes a tag worthless at any other node, and the sender's key travels in the clear, so a
/// recipient that has never met the sender (or has forgotten it) derives the pair key from the datagram alone.
///
/// What it gives up: a tag proves nothing to a third party. Nothing needs that, because a node never passes a
/// datagram on; records, which do travel, keep their own signatures. The timestamp and transaction rules are the
/// signed message's, so replays are bounded the same way.
///
/// What it buys: about a microsecond of HMAC at each end, where a signature and a verification cost the sender
/// and the receiver tens of microseconds each, on every request and reply of every lookup.
public struct TaggedMessage: Hashable, Sendable {
    public static let frameType: UInt16 = 0x0302
    public static let tagByteCount = 32

    public var sender: Ed25519.PublicKey
    public var timestamp: Timestamp
    public var transactionID: UInt64
    public var flags: UInt8
    public var message: KademliaMessage
    public var tag: [UInt8]

    public var senderID: NodeID { NodeID(publicKey: sender) }

    /// The datagram bytes for `message` from `sender` to `recipient`, tagged under their pair key. The body is
    /// encoded once and tagged in place, the hot path of every lookup between nodes that have met.
    static func datagram(
        _ message: KademliaMessage,
        transactionID: UInt64,
        from sender: Ed25519.PublicKey,
        to recipient: Ed25519.PublicKey,
        key: PairKey,
        now: Timestamp,
        flags: UInt8
    ) -> [UInt8] {
        let timestamp = Timestamp(nanosecondsSinceEpoch: now.millisecondsSinceEpoch * 1_000_000)
        var payload = DHTMessageBody.encode(sender, timestamp, transactionID, flags, message)
        let bodyCount = payload.count
        payload.append(contentsOf: recipient.rawRepresentation)
        let tag = key.tag(payload)
        payload.removeLast(payload.count - bodyCount)
        return DHTMessageBody.frame(type: frameType, body: payload, authenticator: tag)
    }

    /// Whether the tag is the one `key` gives for this message addressed to `recipient`; constant-time.
    func isTagValid(recipient: Ed25519.PublicKey, key: PairKey) -> Bool {
        var input = DHTMessageBody.encode(sender, timestamp, transactionID, flags, message)
        input.append(contentsOf: recipient.rawRepresentation)
        return ConstantTime.equals(key.tag(input), tag)
    }

    /// The datagram bytes, tag as held (the sending path is `datagram(_:transactionID:from:to:key:now:flags:)`).
    public func datagram() -> [UInt8] {
        DHTMessageBody.frame(
            type: TaggedMessage.frameType,
            body: DHTMessageBody.encode(sender, timestamp, transactionID, flags, message),
            authenticator: tag
        )
    }

    /// Decodes a datagram without checking the tag (the node checks it, and counts failures).
    public static func decode(datagram: [UInt8], maximumSize: Int) throws -> TaggedMessage {
        let (body, tag) = try DHTMessageBody.decode(
            datagram,
            maximumSize: maximumSize,
            type: frameType,
            authenticatorCount: tagByteCount,
            kind: "tagged DHT message"
        )
        return TaggedMessage(
            sender: body.sender,
            timestamp: body.timestamp,
            transactionID: body.transactionID,
            flags: body.flags,
            message: body.message,
            tag: tag
        )
    }

    /// The fields before the tag.
    public var body: DHTMessageBody {
        DHTMessageBody(
            sender: sender,
            timestamp: timestamp,
            transactionID: transactionID,
            flags: flags,
            message: message
        )
    }
}
