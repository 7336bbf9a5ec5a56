import Foundation
import MeshNode
import MeshNodeAPI
import MeshPeer
import NIOPosix
import Testing

/// `find "words"` on a real `meshpeer run` node: through a configured indexer (each result verified by the node),
/// and, with no indexer configured, by the words as capability keys.
@Suite(.serialized) struct NodeSearchProcessTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    @Test func findByWordsThroughAnIndexerAndWithout() async throws {
        let run = try ProcessRun()
        defer { run.cleanUp() }
        let mesh = LocalMesh(executable: run.binary, root: run.root + "/mesh", group: Self.group)
        do {
            try await mesh.startBootstrap()
            let indexer = try await mesh.startIndexer()
            let relay = try await mesh.startRelay("relay")
            try await mesh.prepareAgent(
                "seeker",
                card: Self.card("Seeker", skill: "seeking", words: "looks for others"),
                policy: [:],
                relays: [relay],
                extra: ["indexers": [indexer]]
            )
            try await mesh.prepareAgent(
                "plain",
                card: Self.card("Plain", skill: "plainness", words: "no indexer here"),
                policy: [:],
                relays: [relay]
            )
            try await mesh.prepareAgent(
                "walrus",
                card: Self.card("Walrus", skill: "tusk-care", words: "Polishes ivory tusks gently"),
                policy: [:],
                relays: [relay]
            )
            for name in ["seeker", "plain", "walrus"] { try await mesh.startAgent(name) }
            let walrus = try #require(mesh.ready("walrus")?.did)
            let seeker = try mesh.client("seeker")
            // Words that are no capability key ("ivory", "polishes") find it through the indexer.
            let found = try await eventually("walrus through the indexer", timeout: .seconds(90), every: .seconds(1)) {
                try await seeker.find(.words("polishes ivory")).first { $0.did == walrus }
            }
            #expect(found.card["name"]?.stringValue == "Walrus")
            // Without an indexer the words are capability keys: the skill id finds it, free words do not.
            let plain = try mesh.client("plain")
            _ = try await eventually("walrus by capability key", timeout: .seconds(90), every: .seconds(1)) {
                try await plain.find(.words("tusk-care")).first { $0.did == walrus }
            }
            #expect(try await plain.find(.words("polishes ivory")).isEmpty)
            await mesh.stopAll()
        } catch {
            await mesh.stopAll()
            throw error
        }
    }

    static func card(_ name: String, skill: String, words: String) -> [String: Any] {
        [
            "name": name, "description": "\(name): \(words).", "version": "1.0.0",
            "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"],
            "capabilities": [:] as [String: Any], "supportedInterfaces": [] as [Any],
            "skills": [["id": skill, "name": skill, "description": words, "tags": [skill]]],
        ]
    }
}
