import Foundation
import Kademlia
import MeshCore
import MeshPeer

/// The card `meshpeer run` publishes, computed without starting a node: the home's card file (or the default
/// card), its MeshPeer interface filled in, compacted to the record's budget and signed by the identity. What
/// `meshpeer card show` prints, so an owner can check the card any A2A tool will see.
public struct PublishedCard: Sendable {
    public let did: String
    /// The verification method the signature's `kid` names.
    public let kid: String
    /// The signed card, exactly as the record carries it.
    public let card: JSONValue
    /// Its canonical (RFC 8785) bytes, the form the record carries.
    public let bytes: [UInt8]
    public let budget: Int
    /// The card file it was built from, or nil when the home has none (the default card).
    public let cardFile: String?

    /// Builds the card for the identity in `home`; `defaultName` names a node with no card file, as `run --name`
    /// does (default "agent " and the DID's last six characters, as `run` uses).
    public static func load(home: String, identity: AgentIdentity, defaultName: String? = nil) throws -> PublishedCard {
        let configuration = try NodeConfiguration.load(home: home)
        let path = NodeRunner.resolve(configuration.cardFile, in: home)
        let card = try NodeCard.load(
            path: path,
            defaultName: defaultName ?? "agent \(identity.did.suffix(6))",
            did: identity.did
        )
        let json = try card.publishedCard(identity: identity)
        // Checked as a reader would check it before it is shown as the node's card.
        let bytes = try JCS.canonicalize(json)
        try AgentCardSignature.verify(cardBytes: bytes, did: identity.did)
        return PublishedCard(
            did: identity.did,
            kid: AgentCardSignature.verificationMethod(did: identity.did),
            card: json,
            bytes: bytes,
            budget: AgentRecord.maximumCardBytes,
            cardFile: card.stamp == nil ? nil : path
        )
    }
}
