import ArgumentParser
import Foundation
import Logging
import MCP
import MeshMCP
import NIOPosix

/// `meshpeer mcp`: the running node's local API as an MCP server on stdin/stdout, for LLM agents.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve this agent's node to an LLM agent as MCP tools and resources (stdio).",
        discussion: """
            An MCP client starts it as {"command": "meshpeer", "args": ["mcp"]}. It talks to the node running on \
            the data directory (start that with `meshpeer run`). Standard output carries only MCP frames; logs go \
            to standard error. Knock decisions stay with the owner unless --allow-knock-decisions is given.
            """
    )

    @OptionGroup var home: HomeOptions

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
        var options = MeshMCPOptions(home: home.keystore.home)
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
        try? await group.shutdownGracefully()
        if let outcome {
            logger.error("meshpeer mcp stopped: \(outcome)")
            throw ExitCode.failure
        }
    }
}
