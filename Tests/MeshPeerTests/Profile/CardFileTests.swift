import MeshPeer
import Testing

@Suite struct CardFileTests {
    @Test func anOwnerCardParsesWithEveryField() throws {
        let card = try ProfileFixture.ownerCard()
        #expect(card.name == "Lexis Legal Translator")
        #expect(card.supportedInterfaces.map(\.protocolBinding) == ["JSONRPC", "HTTP+JSON"])
        #expect(card.provider?.organization == "Lexis Language Services GmbH")
        #expect(card.capabilities.streaming == true)
        #expect(card.capabilities.extensions?.first?.params?["maxTerms"] == .number(5_000))
        #expect(card.skills.map(\.id) == ["legal-translation", "clause-comparison", "glossary-extraction"])
        #expect(card.skills[2].examples?.count == 1)
        #expect(card.securitySchemes?["bearer"] != nil)
        // Its own JSON reads back to the same card.
        #expect(try CardFile.parse(card.jsonBytes()) == card)
        #expect(try CardFile.parse(card.prettyJSON()) == card)
    }

    func error(_ json: String) -> ProfileError? {
        do {
            _ = try CardFile.parse(json)
            return nil
        } catch {
            return error
        }
    }

    func editing(_ replace: String, with replacement: String) -> String {
        precondition(ProfileFixture.ownerCardJSON.contains(replace))
        return ProfileFixture.ownerCardJSON.replacingOccurrences(of: replace, with: replacement)
    }

    @Test func badInputNamesTheField() {
        #expect(
            error(editing("\"examples\": [\"How does", with: "\"exampels\": [\"How does"))
                == ProfileError(.unknownField, field: "skills[1].exampels", "not a field of this A2A object")
        )
        #expect(
            error(editing("\"tags\": [\"terminology\", \"glossary\"]", with: "\"tags\": []"))
                == ProfileError(.missingField, field: "skills[2].tags", "required, with at least one entry")
        )
        #expect(
            error(editing("\"streaming\": true", with: "\"streaming\": \"yes\""))
                == ProfileError(.wrongType, field: "capabilities.streaming", "expected true or false")
        )
        #expect(
            error(editing("\"version\": \"2.4.1\"", with: "\"version\": \"\""))
                == ProfileError(.missingField, field: "version", "required, and must not be empty")
        )
        #expect(
            error(editing("\"protocolVersion\": \"1.0\"},\n    {", with: "\"protocolVersion\": 1},\n    {"))
                == ProfileError(.wrongType, field: "supportedInterfaces[0].protocolVersion", "expected a string")
        )
        #expect(error(editing("\"capabilities\": {", with: "\"capability\": {"))?.field == "capability")
        #expect(error("{\"name\": \"x\"")?.code == .invalidJSON)
        #expect(error("[1, 2]") == ProfileError(.wrongType, field: "", "expected an object"))
        #expect(
            error("{\"name\": \"x\", \"description\": \"y\", \"version\": \"1\", \"capabilities\": {}}")
                == ProfileError(.missingField, field: "supportedInterfaces", "required, with at least one entry")
        )
        let huge = [UInt8](repeating: 0x20, count: CardFile.maximumBytes + 1)
        #expect(throws: ProfileError.self) { try CardFile.parse(huge) }
    }

    @Test func capabilitiesAreLowercasedDeduplicatedAndBounded() throws {
        let card = try ProfileFixture.ownerCard()
        #expect(
            card.capabilityNames == [
                "legal-translation", "translation", "legal", "contracts", "clause-comparison", "comparison",
                "compliance", "glossary-extraction", "terminology", "glossary",
            ]
        )
        var many = card
        many.skills = (0..<10).map { index in
            AgentSkill(id: "skill-\(index)", name: "S", description: "D", tags: ["t\(index)", "T\(index)", "shared"])
        }
        #expect(many.capabilityNames.count == AgentCard.maximumCapabilities)
        #expect(many.capabilityNames.prefix(4) == ["skill-0", "t0", "shared", "skill-1"])
    }

    @Test func theDefaultCardIsValidAndAnnouncesNothing() throws {
        let did = ProfileFixture.identity(1).did
        let card = AgentCard.defaultCard(name: "node-7", did: did)
        #expect(card.name == "node-7")
        #expect(
            card.supportedInterfaces == [AgentInterface(url: did, protocolBinding: "MESHPEER", protocolVersion: "1.0")]
        )
        #expect(card.capabilityNames.isEmpty)
        #expect(try CardFile.parse(card.jsonBytes()) == card)
    }
}
