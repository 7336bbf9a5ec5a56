import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer breaker trip|reset|status`: the owner's kill switch.
struct BreakerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breaker",
        abstract: "Stop all sending at once (trip), let it resume (reset), or show the circuit breaker.",
        discussion: """
            A tripped breaker stops every message, knock and receipt on every path and refuses new knocks; the \
            node stays reachable, so a reset takes effect at once. Sends the agent asks for while it is tripped \
            are refused (HTTP 403); messages already queued stay queued until the reset.
            """,
        subcommands: [Status.self, Trip.self, Reset.self],
        defaultSubcommand: Status.self
    )

    static func show(_ status: BreakerStatus, json: Bool) throws {
        if json { return try AgentJSON.print(status) }
        if status.isTripped {
            let how = status.automatic ? "automatically" : "by the owner"
            print("Breaker TRIPPED \(how) at \(status.since ?? "?"): \(status.reason ?? "no reason given")")
            print("Nothing is sent until `meshpeer breaker reset`.")
        } else {
            print("Breaker closed: the agent may send.")
        }
        let limits = status.limits
        print(
            "Limits: per peer \(limits.perPeer.perSecond)/s (burst \(Int(limits.perPeer.burst))), "
                + "per intent \(limits.perIntent.perSecond)/s (burst \(Int(limits.perIntent.burst)))"
        )
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the breaker.")
        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        func run() async throws {
            try await AgentRunner.run(home) { client in
                try BreakerCommand.show(try await client.breaker(), json: output.json)
            }
        }
    }

    struct Trip: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "trip", abstract: "Stop all sending now.")
        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions
        @Option(help: "Why (kept in the audit log).")
        var reason = "tripped by the owner from the command line"

        func run() async throws {
            try await AgentRunner.run(home) { client in
                try BreakerCommand.show(try await client.tripBreaker(reason: reason), json: output.json)
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset", abstract: "Let the agent send again.")
        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        func run() async throws {
            try await AgentRunner.run(home) { client in
                try BreakerCommand.show(try await client.resetBreaker(), json: output.json)
            }
        }
    }
}
