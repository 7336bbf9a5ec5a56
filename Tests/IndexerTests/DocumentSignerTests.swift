import Indexer
import IndexerSimulation
import Kademlia
import MeshCore
import MeshPeer
import Testing

/// The card's signature is checked under the key the record's validator already decoded (`ValidatedRecord.signer`),
/// but only when that key is the record's DID's: a record built by hand with another signer gains nothing.
@Suite struct DocumentSignerTests {
    @Test func theValidatorHandsOverTheDIDKey() throws {
        let key = TestRecords.key(1)
        let record = try TestRecords.record(key, index: 1)
        #expect(record.signer == key.publicKey)
        var bare = record
        bare.signer = nil
        #expect(try TestRecords.document(record) == TestRecords.document(bare))
    }

    @Test func aSignerThatIsNotTheDIDsIsNotUsed() throws {
        let owner = TestRecords.key(2)
        let stranger = TestRecords.key(3)
        // The card is signed by the stranger, under the stranger's DID; the record is the owner's.
        let strangersCard = try AgentProfile.signedCompactCard(
            SyntheticCard.card(index: 3, did: stranger.publicKey.did),
            identity: AgentIdentity(signingKey: stranger)
        )
        var record = try TestRecords.record(owner, index: 2, cardBytes: strangersCard)
        record.signer = stranger.publicKey
        let error = #expect(throws: DocumentRejection.self) { try TestRecords.document(record) }
        guard case .badCardSignature? = error else {
            Issue.record("refused for another reason, or not at all: \(String(describing: error))")
            return
        }
    }
}
