import MeshCore

/// One DHT datagram: a `Frame` of type `SignedMessage.frameType` whose payload is
///
/// ```
/// sender key (32) ‖ timestamp ms (i64) ‖ transaction ID (u64) ‖ flags (u8) ‖ message ‖ signature (64)
/// ```
///
/// The signature (under `SignatureDomain.dhtMessage`) covers everything before it, so the datagram is
/// authenticated to the sender's key, and the sender's node ID is the hash of that key. The timestamp bounds
/// replays to the clock-skew window; a replayed reply finds no matching transaction and is dropped.
/// Flag bit 0 marks a read-only sender (a short-lived client, as in BEP 43): nobody adds it to a routing table.
/// Flag bit 1 (`DHTDatagram.takesTagsFlag`) says the sender takes pair tags: between nodes that know each other's
/// keys, a `TaggedMessage` takes this one's place (decision 0124), so a signature is the first contact's cost.
public struct SignedMessage: Hashable, Sendable {
    public static let frameType: UInt16 = 0x0300
    public static let readOnlyFlag: UInt8 = 0x01
    /// The bytes around the message; a reply is fitted to the datagram with this, the larger of the two kinds'.
    static let fixedOverhead = 32 + 8 + 8 + 1 + 64

    public var sender: Ed25519.PublicKey
    public var timestamp: Timestamp
    public var transactionID: UInt64
    public var flags: UInt8
    public var message: KademliaMessage
    public var signature: Ed25519.Signature

    public var senderID: NodeID { NodeID(publicKey: sender) }

    public static func signed(
        _ message: KademliaMessage,
        transactionID: UInt64,
        by signer: Ed25519.PrivateKey,
        now: Timestamp,
        flags: UInt8 = 0
    ) -> SignedMessage {
        let timestamp = Timestamp(nanosecondsSinceEpoch: now.millisecondsSinceEpoch * 1_000_000)
        let body = DHTMessageBody.encode(signer.publicKey, timestamp, transactionID, flags, message)
        return SignedMessage(
            sender: signer.publicKey,
            timestamp: timestamp,
            transactionID: transactionID,
            flags: flags,
            message: message,
            signature: signer.signature(for: body, domain: .dhtMessage)
        )
    }

    public var isSignatureValid: Bool {
        sender.isValidSignature(
            signature,
            for: DHTMessageBody.encode(sender, timestamp, transactionID, flags, message),
            domain: .dhtMessage
        )
    }

    /// The datagram bytes.
    public func datagram() -> [UInt8] {
        DHTMessageBody.frame(
            type: SignedMessage.frameType,
            body: DHTMessageBody.encode(sender, timestamp, transactionID, flags, message),
            authenticator: signature.rawRepresentation
        )
    }

    /// Decodes a datagram without checking the signature (the node checks it, and counts failures).
    public static func decode(datagram: [UInt8], maximumSize: Int) throws -> SignedMessage {
        let (body, signature) = try DHTMessageBody.decode(
            datagram,
            maximumSize: maximumSize,
            type: frameType,
            authenticatorCount: Ed25519.signatureByteCount,
            kind: "DHT message"
        )
        return SignedMessage(
            sender: body.sender,
            timestamp: body.timestamp,
            transactionID: body.transactionID,
            flags: body.flags,
            message: body.message,
            signature: try Ed25519.Signature(rawRepresentation: signature)
        )
    }

    /// The fields before the signature.
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
