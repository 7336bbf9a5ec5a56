import Kademlia
import MeshCore
import MeshPeer
import Testing

/// The exposure level in a record: absent is listed, known bytes read back, anything else is the safe `unlisted`.
@Suite struct ExposureTests {
    let identity = ProfileFixture.identity(1)

    func record(extensions: [RecordExtension]) throws -> AgentRecord {
        try AgentRecord.signed(
            by: identity,
            sequence: 1,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(60),
            extensions: extensions
        )
    }

    @Test func theDeclaredLevelReadsBackAndUnknownValuesAreUnlisted() throws {
        #expect(Exposure.declared(by: try record(extensions: [])) == .listed)
        for level in Exposure.allCases {
            let record = try record(extensions: [level.recordExtension].compactMap { $0 })
            #expect(Exposure.declared(by: record) == level)
        }
        #expect(Exposure.listed.recordExtension == nil)
        for value: [UInt8] in [[0], [3], [255], [], [1, 0], [2, 2]] {
            let record = try record(extensions: [RecordExtension(type: RecordExtension.exposure, value: value)])
            #expect(Exposure.declared(by: record) == .unlisted, "value \(value)")
        }
    }

    @Test func anUnlistedProfileSaysSoInItsRecord() throws {
        var (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        profile.exposure = .unlisted
        let record = try profile.record(
            signedBy: identity,
            sequence: 3,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(600)
        )
        #expect(record.extensionValue(ofType: RecordExtension.exposure) == [1])
        #expect(try AgentProfile.read(from: record).exposure == .unlisted)
        profile.exposure = .listed
        let listed = try profile.record(
            signedBy: identity,
            sequence: 4,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(600)
        )
        #expect(listed.extensionValue(ofType: RecordExtension.exposure) == nil)
        #expect(try AgentProfile.read(from: listed).exposure == .listed)
    }
}
