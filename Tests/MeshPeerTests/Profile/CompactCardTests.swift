import Foundation
import Kademlia
import MeshPeer
import Testing

@Suite struct CompactCardTests {
    let budget = AgentRecord.maximumCardBytes

    @Test func theOwnerCardCompactsIntoTheRecordAndStaysAValidCard() throws {
        let card = try ProfileFixture.ownerCard()
        #expect(card.jsonBytes().count > budget)
        let bytes = try card.compact(budget: budget)
        #expect(bytes.count <= budget)
        #expect(try card.compact(budget: budget) == bytes, "deterministic")
        let compact = try CardFile.parse(bytes)
        #expect(compact.name == card.name)
        #expect(compact.supportedInterfaces == [card.supportedInterfaces[0]])
        #expect(compact.provider == nil && compact.securitySchemes == nil && compact.capabilities.extensions == nil)
        #expect(compact.skills.map(\.id) == card.skills.map(\.id))
        #expect(compact.skills.allSatisfy { $0.examples == nil })
        #expect(compact.capabilityNames == card.capabilityNames)
    }

    @Test func aSmallCardKeepsItsDetail() throws {
        var card = try ProfileFixture.ownerCard()
        card.description = "Legal translation."
        card.skills = [AgentSkill(id: "t", name: "T", description: "D", tags: ["x"], examples: ["e"])]
        #expect(try CardFile.parse(try card.compact(budget: budget)) == card.summary)
    }

    @Test func examplesGoFirstThenDescriptionsThenSkills() throws {
        var card = try ProfileFixture.ownerCard()
        let long = String(repeating: "Translates legal documents with care. ", count: 20)
        card.skills = (0..<12).map { index in
            AgentSkill(
                id: "skill-\(index)",
                name: "Skill \(index)",
                description: long,
                tags: ["tag-\(index)"],
                examples: [long]
            )
        }
        let compact = try CardFile.parse(try card.compact(budget: budget))
        #expect(compact.skills.allSatisfy { $0.examples == nil })
        #expect(compact.skills.allSatisfy { $0.description.count <= 24 })
        #expect(compact.skills.count < 12 && compact.skills.count > 1)
        #expect(compact.skills.map(\.id) == card.skills.prefix(compact.skills.count).map(\.id))
        // With room for the examples of the first skills only, the last skills lose theirs first.
        var two = card
        two.skills = Array(card.skills.prefix(2)).map { skill in
            var short = skill
            short.description = "Short."
            short.examples = ["One example."]
            return short
        }
        let roomForOne = two.summary.jsonBytes().count - 5
        let partly = try CardFile.parse(try two.compact(budget: roomForOne))
        #expect(partly.skills.map { $0.examples != nil } == [true, false])
    }

    @Test func aCardThatCannotFitSaysWhy() throws {
        var card = try ProfileFixture.ownerCard()
        card.name = String(repeating: "N", count: budget)
        let error = #expect(throws: ProfileError.self) { try card.compact(budget: budget) }
        #expect(error?.code == .cannotFit)
        #expect(error?.reason.contains("the record holds \(budget)") == true)
    }

    /// Writes the sample cards the A2A interop check parses with the official SDK (scripts/test.d/41-…), when
    /// `MESHPEER_CARD_OUT` names a folder; the Swift-side checks run either way.
    @Test func sampleCardsForTheA2AInteropCheck() throws {
        let owner = try ProfileFixture.ownerCard()
        let identity = ProfileFixture.identity(1)
        let (profile, _) = ProfileFixture.profile(identity, card: owner)
        let record = try profile.record(
            signedBy: identity,
            sequence: 1,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(1_800)
        )
        let samples: [(String, [UInt8])] = [
            ("owner-full.json", owner.jsonBytes()),
            ("owner-served.json", profile.servedCard(did: identity.did).jsonBytes()),
            ("owner-compact.json", record.agentCard),
            (
                "default-compact.json",
                try AgentCard.defaultCard(name: "node-7", did: identity.did).compact(budget: budget)
            ),
        ]
        for (name, bytes) in samples {
            #expect(try CardFile.parse(bytes).name.isEmpty == false, "\(name)")
        }
        #expect(record.agentCard.count <= budget)
        guard let folder = ProcessInfo.processInfo.environment["MESHPEER_CARD_OUT"], !folder.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, bytes) in samples {
            try Data(bytes).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
        }
    }
}
