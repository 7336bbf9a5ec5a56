import ArgumentParser
import Foundation

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

    /// `meshpeer-mcp` beside the running `meshpeer` (symbolic links resolved), else nil.
    static func serverPath() -> String? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let sibling = executable.deletingLastPathComponent().appendingPathComponent("meshpeer-mcp").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil
    }

    func run() throws {
        guard let path = Self.serverPath() else {
            throw CLIError(
                "meshpeer-mcp is not beside this meshpeer: build it too (`swift build --product meshpeer-mcp`) "
                    + "and keep the two binaries in one directory"
            )
        }
        let argv = ["meshpeer-mcp"] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(path, &pointers)
        // Only reached when exec failed.
        let reason = String(cString: strerror(errno))
        for pointer in pointers { free(pointer) }
        throw CLIError("cannot run \(path): \(reason)")
    }
}
