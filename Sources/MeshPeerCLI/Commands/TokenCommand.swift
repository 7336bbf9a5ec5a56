import ArgumentParser
import CLISupport
import Foundation
import MeshCore
import MeshNodeAPI
import MeshPeer
import NIOPosix

/// `meshpeer token rotate`: the owner's answer to a leaked API token. The running node switches at once (the old
/// token gets 401 on its next request, open event streams and dashboard sessions end); with no node running the
/// file is replaced and the next `meshpeer run` uses it.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage the local API's bearer token (<data directory>/api-token).",
        subcommands: [Rotate.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Replace the API token; the old one is refused at once, including on open event streams."
        )

        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        func run() async throws {
            let directory = home.keystore.home
            guard (try? APIEndpointFile.read(from: directory)) != nil else {
                // No node is serving this data directory: the file is the whole state.
                do {
                    try APIToken.generate().save(in: directory)
                } catch {
                    throw AgentRunner.report(error.description)
                }
                let rotation = APITokenRotation(
                    rotatedAt: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
                    closedEventStreams: 0
                )
                if output.json { return try AgentJSON.print(rotation) }
                print("No node is running on \(directory); wrote a new token to \(directory)/\(APIToken.fileName).")
                return
            }
            try await AgentRunner.run(home) { client in
                let rotation = try await client.rotateAPIToken()
                if output.json { return try AgentJSON.print(rotation) }
                print(
                    "API token rotated at \(rotation.rotatedAt); the old token is refused from now on "
                        + "(\(rotation.closedEventStreams) open event stream(s) closed). Clients read the new one "
                        + "from \(directory)/\(APIToken.fileName)."
                )
            }
        }
    }
}
