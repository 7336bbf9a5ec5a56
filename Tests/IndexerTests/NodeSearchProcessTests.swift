import Foundation
import MeshNode
import MeshNodeAPI
import MeshPeer
import NIOPosix
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
            // Issue 18: an unlisted agent with the same words is found by its DID, never by capability or words.
            try await mesh.prepareAgent(
                "hermit",
                card: Self.card("Hermit", skill: "hermitry", words: "Polishes ivory tusks alone"),
                policy: [:],
                relays: [relay],
                extra: ["exposure": "unlisted"]
            )
            for name in ["seeker", "plain", "walrus", "hermit"] { try await mesh.startAgent(name) }
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

            // The unlisted hermit: once the indexer has seen its record (and refused it, counted by reason), a
            // search for its words still names only the walrus; its DID finds it; its capability does not.
            let hermit = try #require(mesh.ready("hermit")?.did)
            _ = try await eventually(
                "the indexer to refuse an unlisted record",
                timeout: .seconds(90),
                every: .seconds(1)
            ) {
                let (data, _) = try await URLSession.shared.data(from: URL(string: indexer + "/metrics")!)
                return String(decoding: data, as: UTF8.self).contains(
                    "meshpeer_indexer_refused_total{reason=\"unlisted\"}"
                )
                    ? true : nil
            }
            let byWords = try await seeker.find(.words("polishes ivory")).map(\.did)
            #expect(byWords.contains(walrus) && !byWords.contains(hermit), "\(byWords)")
            _ = try await eventually("the hermit by DID", timeout: .seconds(60), every: .seconds(1)) {
                try await plain.find(.did(hermit)).first
            }
            #expect(try await plain.find(.capability("hermitry")).isEmpty)
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
