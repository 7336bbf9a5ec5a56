import ArgumentParser
import CLISupport
import Foundation
import MeshNodeAPI
import MeshPeer

/// `meshpeer dashboard`: a one-time login link for the owner's dashboard (decision 0091). The bearer token stays
/// in the data directory; the link carries a code that works once, within a minute, in its fragment.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Print (or open) a one-time login link for the owner's dashboard.",
        discussion: """
            The link works once and for one minute; run the command again for a new one. The dashboard is served \
            by the running node on its loopback API address.
            """
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    @Flag(name: .long, help: "Open the link with xdg-open (when it is installed) instead of only printing it.")
    var open = false

    func run() async throws {
        try await AgentRunner.run(home) { client in
            let login = try await client.dashboardLogin()
            let url = client.baseURL + login.path
            if output.json {
                struct Link: Encodable {
                    var url: String
                    var expiresInSeconds: Int
                    enum CodingKeys: String, CodingKey {
                        case url
                        case expiresInSeconds = "expires_in_seconds"
                    }
                }
                try AgentJSON.print(Link(url: url, expiresInSeconds: login.expiresInSeconds))
            } else {
                print("Open this link within \(login.expiresInSeconds) seconds (it works once):\n\(url)")
            }
            if open { try Self.openInBrowser(url) }
        }
    }

    /// Runs `xdg-open URL` from PATH, or says that it cannot.
    static func openInBrowser(_ url: String) throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard
            let opener = path.split(separator: ":").map({ "\($0)/xdg-open" })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw CLIError("xdg-open is not installed: open the link above in a browser on this machine")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [url]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("xdg-open failed (status \(process.terminationStatus)): open the link above yourself")
        }
    }
}
