import Kademlia
import MeshCore

/// The forgeries hostile DHT peers serve and push for one victim, built from the victim's genuine records (which
/// the hostile storers captured from its own STOREs). Each would win if accepted: all but the stale one claim a
/// sequence far above the real record's.
struct ForgedAgentRecords {
    /// The genuine record's bytes with home relays pointing elsewhere and a higher sequence: the signature no longer
    /// covers them.
    var tampered: AgentRecord
    /// The same, signed properly, but by the attacker's key (the DID still names the victim).
    var signedByAnother: AgentRecord
    /// The attacker's own valid record, served under the victim's record key.
    var underWrongKey: AgentRecord
    /// The victim's genuine older record, replayed after the victim published a newer one.
    var stale: AgentRecord
    /// A record over the card limit, signed by the victim's own key (only the limit check refuses it).
    var overLimit: AgentRecord
    /// Envelope bytes longer than `RecordEnvelope.maximumByteCount` (the codec must refuse the datagram).
    var oversizeBytes: [UInt8]
    /// A provider entry for the victim's capability that names the victim but is signed by the attacker.
    var provider: ProviderRecord

    static let hijackedRelay = "ws://127.0.0.1:9"

    init(
        real: AgentRecord,
        stale: AgentRecord,
        victimKey: Ed25519.PrivateKey,
        attacker: Ed25519.PrivateKey,
        capability: String
    ) throws {
        let higher = real.sequence + 1_000_000
        var tampered = real
        tampered.sequence = higher
        tampered.homeRelays = [Self.hijackedRelay]
        self.tampered = tampered

        var signedByAnother = tampered
        signedByAnother.signature = attacker.signature(for: signedByAnother.signedBytes, domain: .agentRecord)
        self.signedByAnother = signedByAnother

        underWrongKey = try AgentRecord.signed(
            by: attacker,
            sequence: higher,
            issuedAt: real.issuedAt,
            ttl: real.expiresAt - real.issuedAt,
            agentCard: real.agentCard,
            homeRelays: [Self.hijackedRelay]
        )
        self.stale = stale

        var overLimit = real
        overLimit.sequence = higher
        // One byte over the card limit (trailing spaces keep the JSON intact), well inside the envelope limit.
        let padding = max(1, AgentRecord.maximumCardBytes + 1 - real.agentCard.count)
        overLimit.agentCard = real.agentCard + Array(repeating: UInt8(ascii: " "), count: padding)
        overLimit.signature = victimKey.signature(for: overLimit.signedBytes, domain: .agentRecord)
        self.overLimit = overLimit

        oversizeBytes = real.wireBytes + Array(repeating: 0, count: RecordEnvelope.maximumByteCount)

        var provider = ProviderRecord.signed(
            by: attacker,
            key: ProviderRecord.key(forCapability: capability),
            sequence: higher,
            issuedAt: real.issuedAt,
            ttl: real.expiresAt - real.issuedAt
        )
        provider.provider = victimKey.publicKey
        self.provider = provider
    }

    /// What a liar serves for the victim's key, in turn.
    var served: [HostileDHTPeer.Forgery] {
        [
            .envelope(tampered.envelope), .envelope(stale.envelope), .envelope(signedByAnother.envelope),
            .envelope(underWrongKey.envelope), .envelope(stale.envelope), .envelope(overLimit.envelope),
            .oversize(type: .agent, bytes: oversizeBytes),
        ]
    }

    /// What a liar pushes at a storer with a STORE, and the refusal code each must get from a storer that holds
    /// the real record.
    var pushed: [(name: String, record: AgentRecord, code: RecordRejection.Code)] {
        [
            ("tampered", tampered, .badSignature), ("signed-by-another", signedByAnother, .badSignature),
            ("stale", stale, .stale), ("over-limit", overLimit, .oversize),
        ]
    }
}

extension AgentRecord {
    init(envelope: RecordEnvelope) throws {
        guard envelope.type == .agent else { throw TestFailure("a \(envelope.type) record, not an agent record") }
        try self.init(wireBytes: envelope.bytes)
    }
}
