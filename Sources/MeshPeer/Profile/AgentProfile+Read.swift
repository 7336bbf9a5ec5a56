import Kademlia
import MeshCore
import Ratchet

extension AgentProfile {
    /// Reads a verified record (its signature checked by the DHT's validator) back into a profile: the compact
    /// card, whose own A2A signature must verify under the record's DID (a card without one, as an older node
    /// would publish, is refused too: decision 0080), parsed strictly; the knock policy extension; the relays and hints; and the prekey bundle, whose
    /// signature must verify under the record's DID. One-time prekeys, should a record carry any, are dropped
    /// (decision 0071). Unknown extensions are ignored.
    public static func read(from record: AgentRecord) throws(ProfileError) -> AgentProfile {
        do {
            try AgentCardSignature.verify(cardBytes: record.agentCard, did: record.did)
        } catch {
            throw ProfileError(.badSignature, field: "agentCard.signatures", "\(error)")
        }
        let card: AgentCard
        do {
            card = try CardFile.parse(record.agentCard)
        } catch {
            throw ProfileError(
                error.code,
                field: error.field.isEmpty ? "agentCard" : "agentCard.\(error.field)",
                error.reason
            )
        }
        guard let knock = record.extensionValue(ofType: RecordExtension.knockPolicy) else {
            throw ProfileError(
                .missingField,
                field: "extensions",
                "no knock policy (type \(RecordExtension.knockPolicy))"
            )
        }
        guard knock.count == knockTokenBytes + 1 else {
            throw ProfileError(.invalidValue, field: "extensions", "a knock policy is 9 bytes, not \(knock.count)")
        }
        let bundle: PrekeyBundle
        do {
            bundle = try PrekeyBundle(wireBytes: record.prekeyBundle)
            try bundle.verify()
        } catch {
            throw ProfileError(.badSignature, field: "prekeyBundle", "\(error)")
        }
        guard bundle.identityKey.did == record.did else {
            throw ProfileError(
                .badSignature,
                field: "prekeyBundle",
                "signed by \(bundle.identityKey.did), not \(record.did)"
            )
        }
        return AgentProfile(
            card: card,
            knockToken: Array(knock.prefix(knockTokenBytes)),
            knockDifficulty: knock[knockTokenBytes],
            homeRelays: record.homeRelays,
            prekeyBundle: PrekeyBundle(
                identityKey: bundle.identityKey,
                signedPrekey: bundle.signedPrekey,
                signedPrekeySignature: bundle.signedPrekeySignature,
                oneTimePrekeys: []
            ),
            addressHints: record.addressHints,
            exposure: Exposure.declared(by: record),
            // Malformed credentials are dropped, not fatal: the record stays usable and no certificate is shown.
            ownerCredentials: record.extensionValue(ofType: RecordExtension.ownerCredentials).flatMap {
                try? OwnerCredentials(decoding: $0)
            }
        )
    }

    /// The full card the node serves on request (`capability.query`): the owner's card with MeshPeer's data in
    /// A2A extensions (DID, knock token and difficulty, home relays), replacing any `urn:meshpeer:` entries.
    public func servedCard(did: String) -> AgentCard {
        var served = card
        var extensions = (card.capabilities.extensions ?? []).filter { !($0.uri ?? "").hasPrefix("urn:meshpeer:") }
        extensions.append(AgentExtension(uri: AgentProfile.didExtensionURI, params: ["did": .string(did)]))
        extensions.append(
            AgentExtension(
                uri: AgentProfile.knockExtensionURI,
                params: ["token": .string(Hex.encode(knockToken)), "difficulty": .number(Double(knockDifficulty))]
            )
        )
        extensions.append(
            AgentExtension(
                uri: AgentProfile.relaysExtensionURI,
                params: ["relays": .array(homeRelays.map { .string($0) })]
            )
        )
        served.capabilities.extensions = extensions
        return served
    }
}
