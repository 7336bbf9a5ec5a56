import Foundation
import Kademlia
import MeshCore

/// The cards a node hands out, signed the A2A way (A2A §8.4, decision 0080): the compact card its record carries
/// and the full card it serves to `capability.query`. A card verified alone is still bound to the DID.
extension AgentProfile {
    /// The compact card signed by `identity`, as canonical JSON of at most `budget` bytes: compacted to the budget
    /// less a signature's room, then signed. Should the signed form still be over (a serialisation detail the
    /// compaction's measure misses), it compacts again by the overshoot, a bounded number of times.
    public static func signedCompactCard(
        _ card: AgentCard,
        identity: AgentIdentity,
        budget: Int = AgentRecord.maximumCardBytes
    ) throws(ProfileError) -> [UInt8] {
        var room = budget - AgentCardSignature.reservedBytes(did: identity.did)
        for _ in 0..<4 {
            let compact = try card.compact(budget: room)
            let bytes = try signed(compact, identity: identity)
            if bytes.count <= budget { return bytes }
            room -= bytes.count - budget
        }
        throw ProfileError(.cannotFit, field: "card", "the signed compact card does not fit \(budget) bytes")
    }

    /// The full served card (`servedCard(did:)`), signed by `identity`.
    public func signedServedCard(identity: AgentIdentity) throws(ProfileError) -> JSONValue {
        let bytes = try AgentProfile.signed(servedCard(did: identity.did).jsonBytes(), identity: identity)
        do {
            // Our own output: no limit but its length (a full card may pass the card file's 64 KiB by its extensions).
            return try StrictJSON.parse(bytes, maximumBytes: bytes.count)
        } catch {
            throw ProfileError(.tooLarge, field: "card", error.reason)
        }
    }

    /// A card's JSON bytes, signed: canonical JSON with `signatures` holding one signature by `identity`.
    static func signed(_ json: [UInt8], identity: AgentIdentity) throws(ProfileError) -> [UInt8] {
        do {
            let card = try StrictJSON.parse(json, maximumBytes: json.count)
            return try JCS.canonicalize(try AgentCardSignature.sign(card: card, identity: identity))
        } catch {
            throw ProfileError(.invalidValue, field: "card", "cannot sign the card: \(error.reason)")
        }
    }
}
