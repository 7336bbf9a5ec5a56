import Foundation
import Indexer
import IndexerSimulation
import Kademlia
import MeshCore
import MeshPeer
import TestSupport

/// Signed agent records for tests: real keys, real signatures, the synthetic cards the benchmark uses.
enum TestRecords {
    static let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    static func key(_ seed: UInt64) -> Ed25519.PrivateKey {
        var random = SeededRandom(seed: seed)
        return Ed25519.PrivateKey(using: &random)
    }

    static func record(
        _ key: Ed25519.PrivateKey,
        index: Int,
        sequence: UInt64 = 1,
        card: AgentCard? = nil,
        issuedAt: Timestamp = start,
        ttl: Duration = .seconds(600),
        extensions: [RecordExtension] = [],
        cardBytes: [UInt8]? = nil
    ) throws -> ValidatedRecord {
        let did = key.publicKey.did
        let bytes = try AgentProfile.signedCompactCard(
            card ?? SyntheticCard.card(index: index, did: did),
            identity: AgentIdentity(signingKey: key)
        )
        let record = try AgentRecord.signed(
            by: key,
            sequence: sequence,
            issuedAt: issuedAt,
            ttl: ttl,
            agentCard: cardBytes ?? bytes,
            extensions: extensions
        )
        return try RecordVerifier.verify(agentRecord: record.wireBytes, now: issuedAt)
    }

    static func document(_ record: ValidatedRecord) throws -> AgentDocument {
        try AgentDocument.make(from: record)
    }

    static func temporaryPath(_ name: String) -> String {
        TestDirectory.make("indexer").appendingPathComponent(name).path
    }
}
