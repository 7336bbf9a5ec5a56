/// A domain-separation label that every signature is bound to.
///
/// The signed bytes are `len(label) ‖ label ‖ message` (one length byte). The length prefix makes the encoding
/// unambiguous, so no message signed under one label is a valid message under another, and a signature made
/// for a DHT record can never be replayed as a relay login or a KNOCK. The list of labels lives here, in one
/// place, and in docs/protocol.md.
public struct SignatureDomain: Hashable, Sendable, CustomStringConvertible {
    public let label: String

    /// Labels are ASCII, at most 255 bytes, and start with `meshpeer/`; anything else is a programming error.
    public init(_ label: String) {
        precondition(label.utf8.count <= 255 && label.hasPrefix("meshpeer/"), "bad signature domain \(label)")
        self.label = label
    }

    public func prefixed(_ message: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 + label.utf8.count + message.count)
        bytes.append(UInt8(label.utf8.count))
        bytes.append(contentsOf: label.utf8)
        bytes.append(contentsOf: message)
        return bytes
    }

    public var description: String { label }

    // Every label MeshPeer signs under. Add new ones here and in docs/protocol.md.
    public static let agentRecord = SignatureDomain("meshpeer/v1/agent-record")
    public static let providerRecord = SignatureDomain("meshpeer/v1/provider-record")
    public static let sealedRecord = SignatureDomain("meshpeer/v1/sealed-record")
    public static let relayAdvert = SignatureDomain("meshpeer/v1/relay-advert")
    public static let dhtMessage = SignatureDomain("meshpeer/v1/dht-message")
    public static let relayChallenge = SignatureDomain("meshpeer/v1/relay-challenge")
    public static let knock = SignatureDomain("meshpeer/v1/knock")
    public static let signedPrekey = SignatureDomain("meshpeer/v1/signed-prekey")
    public static let iceCredentials = SignatureDomain("meshpeer/v1/ice-credentials")
    public static let keyFileCheck = SignatureDomain("meshpeer/v1/key-file-check")
    public static let auditCheckpoint = SignatureDomain("meshpeer/v1/audit-checkpoint")
    /// An owner key vouching for one of its agents (decision 0093).
    public static let ownerCertificate = SignatureDomain("meshpeer/v1/owner-certificate")
    /// An owner key withdrawing one of its certificates (decision 0093).
    public static let ownerRevocation = SignatureDomain("meshpeer/v1/owner-revocation")
    /// An owner key's list of its revocations, published in the DHT under its own key (decision 0100).
    public static let ownerRevocationRecord = SignatureDomain("meshpeer/v1/owner-revocation-record")
}
