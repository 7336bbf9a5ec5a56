import ArgumentParser
import Foundation
import Logging
import MCP
import MeshCore
import MeshMCP
import MeshPeer
import NIOPosix

/// `meshpeer-mcp` (also run as `meshpeer mcp`): the running node's local API as an MCP server on stdin/stdout,
/// for LLM agents.
///
/// It is a binary of its own because the MCP SDK links FoundationNetworking, which loads libcurl and some thirty
/// libraries behind it (GnuTLS, Kerberos, LDAP, SSH, RTMP) into every process of the binary that holds it: the
/// node, a relay and a bootstrap node had them mapped for a command they never run (about 6 MB of each one's
/// resident set). `meshpeer mcp` execs this binary from `meshpeer`'s own directory.
@main
struct MeshPeerMCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshpeer-mcp",
        abstract: "Serve this agent's node to an LLM agent as MCP tools and resources (stdio).",
        discussion: """
            An MCP client starts it as {"command": "meshpeer", "args": ["mcp"]} (or runs meshpeer-mcp itself). It \
            talks to the node running on the data directory (start that with `meshpeer run`). Standard output \
            carries only MCP frames; logs go to standard error. Knock decisions stay with the owner unless \
            --allow-knock-decisions is given.
            """,
        version: "meshpeer-mcp \(MeshPeerVersion.string) (protocol v\(MeshPeerVersion.protocolVersion))"
    )

    @Option(name: .long, help: "Data directory (default: $MESHPEER_HOME or ~/.meshpeer).")
    var home: String?

    @Flag(help: "Let the agent approve and deny knocks held for the owner (approve_knock, deny_knock).")
    var allowKnockDecisions = false

    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error.")
    var logLevel = "warning"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        // Standard output belongs to the protocol: every log line goes to standard error.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "meshpeer.mcp")
        let directory = Keystore.resolveHome(explicit: home, environment: ProcessInfo.processInfo.environment)
        var options = MeshMCPOptions(home: directory)
        options.allowKnockDecisions = allowKnockDecisions
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let outcome: (any Error)?
        do {
            let server = MeshMCPServer(options: options, group: group, logger: logger)
            try await server.run(transport: StdioTransport(logger: logger))
            outcome = nil
        } catch {
            outcome = error
        }
        do {
            try await group.shutdownGracefully()
        } catch {
            logger.debug("the event loop did not shut down cleanly: \(error)")
        }
        if let outcome {
            logger.error("meshpeer-mcp stopped: \(outcome)")
            throw ExitCode.failure
        }
    }
}
