import MeshCore

/// A received DHT datagram of either kind: signed (first contact, or a peer that takes no tags) or tagged
/// (decision 0124). The node authenticates it by its kind, then handles both alike.
public enum DHTDatagram: Hashable, Sendable {
    case signed(SignedMessage)
    case tagged(TaggedMessage)

    /// Flag bit 1: the sender takes pair tags. Every node that does sets it on everything it sends, so a peer
    /// learns it from the first datagram; a node from before tags never sets it and is never sent one.
    public static let takesTagsFlag: UInt8 = 0x02

    /// Decodes by frame type, without authenticating.
    public static func decode(_ bytes: [UInt8], maximumSize: Int) throws -> DHTDatagram {
        if isTagged(bytes) { return .tagged(try TaggedMessage.decode(datagram: bytes, maximumSize: maximumSize)) }
        return .signed(try SignedMessage.decode(datagram: bytes, maximumSize: maximumSize))
    }

    /// Whether the bytes claim to be a tagged message: bytes 3-4 of a frame are its type (`Frame`). Anything else,
    /// too short ones included, is left to the signed decoder to accept or refuse.
    public static func isTagged(_ bytes: [UInt8]) -> Bool {
        bytes.count > 4 && UInt16(bytes[3]) << 8 | UInt16(bytes[4]) == TaggedMessage.frameType
    }

    /// The fields both kinds share; the accessors below read them.
    public var body: DHTMessageBody {
        switch self {
        case .signed(let message): message.body
        case .tagged(let message): message.body
        }
    }

    public var sender: Ed25519.PublicKey { body.sender }
    public var timestamp: Timestamp { body.timestamp }
    public var transactionID: UInt64 { body.transactionID }
    public var flags: UInt8 { body.flags }
    public var message: KademliaMessage { body.message }

    public var senderID: NodeID { NodeID(publicKey: sender) }

    /// Whether the sender takes pair tags: it said so, or it sent one.
    public var senderTakesTags: Bool {
        if case .tagged = self { return true }
        return flags & DHTDatagram.takesTagsFlag != 0
    }
}
