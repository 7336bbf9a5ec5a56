import ArgumentParser
import CLISupport

/// `meshpeer mcp`: execs `meshpeer-mcp` (the MCP server, a binary of its own so that its SDK's FoundationNetworking
/// and libcurl stay out of the node) from this binary's directory, with the same arguments, standard streams and
/// process id, so MCP clients keep starting it as {"command": "meshpeer", "args": ["mcp"]}.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve this agent's node to an LLM agent as MCP tools and resources (stdio).",
        discussion: """
            Runs meshpeer-mcp, which sits beside meshpeer (`swift build` makes both); its options are --home, \
            --allow-knock-decisions and --log-level (`meshpeer-mcp --help`). An MCP client starts it as \
            {"command": "meshpeer", "args": ["mcp"]}.
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "Passed to meshpeer-mcp.")
    var arguments: [String] = []

    func run() throws {
        guard let path = SiblingExecutable.path(named: "meshpeer-mcp") else {
            throw CLIError(
                "meshpeer-mcp is not beside this meshpeer: build it too (`swift build --product meshpeer-mcp`) "
                    + "and keep the two binaries in one directory"
            )
        }
        try SiblingExecutable.exec(path, argv: ["meshpeer-mcp"] + arguments)
    }
}
