import Foundation
import Kademlia
import MeshCore
import MeshPeer
import Ratchet

/// Seeded identities, a realistic owner card with three skills, and a two-node DHT exchange.
enum ProfileFixture {
    static let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    static func identity(_ seed: UInt64) -> AgentIdentity {
        var random = SeededRandom(seed: seed)
        return AgentIdentity.generate(using: &random)
    }

    /// An owner's card file, as a person would write it: every A2A field in use, three skills with examples.
    static let ownerCardJSON = """
        {
          "name": "Lexis Legal Translator",
          "description": "Translates contracts, court filings and regulatory documents between English, German, French and Spanish, keeping defined terms consistent and flagging clauses whose meaning shifts across jurisdictions.",
          "version": "2.4.1",
          "supportedInterfaces": [
            {"url": "https://lexis.example.com/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": "https://lexis.example.com/a2a/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}
          ],
          "provider": {"organization": "Lexis Language Services GmbH", "url": "https://lexis.example.com"},
          "documentationUrl": "https://lexis.example.com/docs/agent",
          "iconUrl": "https://lexis.example.com/icon.png",
          "capabilities": {
            "streaming": true,
            "pushNotifications": false,
            "extensions": [
              {"uri": "https://lexis.example.com/ext/glossary/v1", "description": "Client glossaries", "required": false,
               "params": {"maxTerms": 5000, "formats": ["tbx", "csv"]}}
            ]
          },
          "securitySchemes": {
            "bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer", "bearerFormat": "JWT"}}
          },
          "securityRequirements": [{"schemes": {"bearer": {"list": []}}}],
          "defaultInputModes": ["text/plain", "application/pdf"],
          "defaultOutputModes": ["text/plain", "application/json"],
          "skills": [
            {
              "id": "legal-translation",
              "name": "Legal translation",
              "description": "Translates legal documents (contracts, filings, statutes) between English, German, French and Spanish with consistent terminology and a list of clauses that need a lawyer's review.",
              "tags": ["Translation", "legal", "contracts"],
              "examples": ["Translate this NDA from German to English.", "Render the attached French lease in Spanish, keeping the defined terms."],
              "inputModes": ["text/plain", "application/pdf"],
              "outputModes": ["text/plain"]
            },
            {
              "id": "clause-comparison",
              "name": "Clause comparison",
              "description": "Compares a clause across two jurisdictions and explains, in plain language, where the legal effect differs.",
              "tags": ["legal", "comparison", "compliance"],
              "examples": ["How does this limitation-of-liability clause read under German and English law?"]
            },
            {
              "id": "glossary-extraction",
              "name": "Glossary extraction",
              "description": "Extracts defined terms and their definitions from a document into a bilingual glossary.",
              "tags": ["terminology", "glossary"],
              "examples": ["Build an English-German glossary from this share purchase agreement."],
              "outputModes": ["application/json"]
            }
          ]
        }
        """

    static func ownerCard() throws -> AgentCard { try CardFile.parse(ownerCardJSON) }

    /// Prekeys on the record schedule, and the profile a node would publish.
    static func profile(
        _ identity: AgentIdentity,
        card: AgentCard,
        now: Timestamp = start,
        seed: UInt64 = 77
    ) -> (AgentProfile, PrekeySecrets) {
        var random = SeededRandom(seed: seed)
        let secrets = PrekeySecrets(
            identity: identity,
            schedule: AgentProfile.recordPrekeySchedule,
            now: now,
            random: &random
        )
        let profile = AgentProfile(
            card: card,
            knockToken: [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18],
            knockDifficulty: 18,
            homeRelays: ["wss://relay-a.example.net", "wss://relay-b.example.net:8443"],
            prekeyBundle: AgentProfile.recordBundle(from: secrets, identity: identity)
        )
        return (profile, secrets)
    }

    /// Delivers queued datagrams between two DHT cores until both are quiet.
    static func exchange(
        _ a: KademliaNode,
        at addressA: TransportAddress,
        _ b: KademliaNode,
        at addressB: TransportAddress
    ) {
        var progress = true
        while progress {
            progress = false
            for transmit in a.drainTransmits() where transmit.destination == addressB {
                b.handleDatagram(transmit.bytes, from: addressA, now: start)
                progress = true
            }
            for transmit in b.drainTransmits() where transmit.destination == addressA {
                a.handleDatagram(transmit.bytes, from: addressB, now: start)
                progress = true
            }
        }
    }

    static func parsed(_ bytes: [UInt8]) throws -> AgentCard { try CardFile.parse(bytes) }
}
