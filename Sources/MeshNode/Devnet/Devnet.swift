import Foundation
import MeshCore
import MeshNodeAPI
import MeshPeer
import NIOCore

/// `meshpeer devnet`: a whole mesh on loopback, as separate processes (one DHT bootstrap node, two relays, three
/// agents with different skills), and the main job run through it: discovery by capability, a knock held and then
/// approved, encrypted messages both ways, and an agent that stops and receives its queued messages when it
/// returns. Every step checks its result; a step that fails stops the run with the reason and the log to read.
public struct Devnet: Sendable {
    public struct Options: Sendable {
        /// The `meshpeer` executable to start the processes with.
        public var executable: String
        /// Where the processes' data directories and logs go.
        public var root: String
        /// Leave everything running after the scenario until SIGINT/SIGTERM.
        public var keep = false
        /// With `keep`: called with the summary once the scenario has passed, before the wait, so a caller can
        /// report the result while the mesh runs (`devnet --keep --json` prints it then).
        public var onKept: (@Sendable (DevnetSummary) -> Void)?
        /// The caller's event-loop group, for the API clients that drive the scenario.
        public var group: any EventLoopGroup
        public init(executable: String, root: String, group: any EventLoopGroup) {
            self.executable = executable
            self.root = root
            self.group = group
        }
    }

    let options: Options
    let say: @Sendable (String) -> Void

    public init(options: Options, say: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.say = say
    }

    /// Starts the mesh, runs the scenario, stops everything (unless `keep`), and returns the summary.
    public func run(untilStopped: @Sendable () async -> Void) async throws -> DevnetSummary {
        let mesh = LocalMesh(executable: options.executable, root: options.root, group: options.group, say: say)
        do {
            try await start(mesh)
            let indexer = try await mesh.startIndexer()
            say("  ✓ indexer crawling the DHT, search at \(indexer)")
            var summary = try await DevnetScenario(mesh: mesh, say: say).run()
            if let lexi = mesh.ready("lexi")?.did {
                let search = DevnetSearch(indexer: indexer, fetch: IndexerFetch(group: options.group), say: say)
                summary.checks.append(try await search.run(words: "translate legal", expecting: lexi))
                summary.indexer = indexer
            }
            if options.keep {
                say(summary.text)
                options.onKept?(summary)
                say("Running until Ctrl-C.")
                await untilStopped()
            }
            await mesh.stopAll()
            return summary
        } catch {
            await mesh.stopAll()
            throw error
        }
    }

    func start(_ mesh: LocalMesh) async throws {
        say("Starting a mesh on 127.0.0.1 in \(options.root)")
        try await mesh.startBootstrap()
        say("  ✓ DHT bootstrap node at \(mesh.bootstrapAddress)")
        var relays: [String] = []
        for name in ["relay-a", "relay-b"] {
            relays.append(try await mesh.startRelay(name))
            say("  ✓ relay \(name) at \(relays.last!)")
        }
        for agent in DevnetAgent.cast {
            try await mesh.prepareAgent(agent.name, card: agent.card, policy: agent.policy, relays: relays)
            let ready = try await mesh.startAgent(agent.name)
            say("  ✓ agent \(agent.name) running, API \(ready.api)")
        }
    }
}

/// What the devnet showed, and what to try next.
public struct DevnetSummary: Sendable, Codable {
    public var agents: [AgentLine]
    public var relays: [String]
    public var bootstrap: String
    public var checks: [String]
    /// The indexer's HTTP API (search page at `/`), when one ran.
    public var indexer: String?

    public struct AgentLine: Sendable, Codable {
        public var name: String
        public var did: String
        public var api: String
        public var home: String
    }

    public var text: String {
        var lines = [
            "", "Devnet summary", "  bootstrap  \(bootstrap)", "  relays     \(relays.joined(separator: "  "))",
        ]
        for agent in agents {
            lines.append("  \(agent.name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(agent.api)  \(agent.did)")
        }
        lines.append("")
        lines.append("Checked:")
        for check in checks { lines.append("  ✓ \(check)") }
        if let first = agents.first {
            lines.append("")
            lines.append("Try next (with --keep, while the mesh runs):")
            lines.append("  meshpeer status --home \(first.home)")
            lines.append("  meshpeer find --capability summarise --home \(first.home)")
            lines.append("  meshpeer inbox --follow --home \(first.home)")
            if let second = agents.dropFirst().first {
                lines.append("  meshpeer send \(second.did) --text 'hello' --home \(first.home)")
            }
            lines.append("  curl -H \"Authorization: Bearer $(cat \(first.home)/api-token)\" \(first.api)/v1/status")
            if let indexer {
                lines.append("  curl '\(indexer)/v1/search?q=translate'   (or open \(indexer)/ in a browser)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
