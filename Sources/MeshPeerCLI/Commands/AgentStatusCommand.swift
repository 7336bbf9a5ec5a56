import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer status`: how the running node is doing.
struct AgentStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running node: identity, DHT, relays, outbox, inbox, knocks, contacts."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    func run() async throws {
        try await AgentRunner.run(home) { client in
            let status = try await client.status()
            if output.json { return try AgentJSON.print(status) }
            print(Self.text(status, full: output.full))
        }
    }

    static func text(_ status: NodeStatus, full: Bool) -> String {
        var lines = [
            (
                "Agent",
                "\(AgentFormat.did(status.did, full: full))  (node \(AgentFormat.clip(status.nodeID, 12, full: full)))"
            ),
            ("Version", "\(status.version), up \(AgentFormat.uptime(status.uptimeSeconds))"),
            ("DHT", "\(status.dhtContacts) contacts, record \(status.published ? "published" : "not yet published")"),
            ("Exposure", status.exposure?.rawValue ?? "unknown"),
        ]
        let relays = status.relays.map { relay in
            [
                relay.address, relay.state, relay.home ? "home" : "",
                relay.roundTripMs.map { String(format: "%.1f ms", $0) }
                    ?? (relay.lastError.map { "last error: \($0)" } ?? ""),
            ]
        }
        let relayLines =
            relays.isEmpty
            ? ["none"]
            : AgentFormat.table(["", "", "", ""], relays).split(separator: "\n").dropFirst().map(String.init)
        for (index, line) in relayLines.enumerated() { lines.append((index == 0 ? "Relays" : "", line)) }
        lines += [
            ("Outbox", "\(status.outboxPending) pending"),
            ("Inbox", "\(status.inboxCount) message\(status.inboxCount == 1 ? "" : "s")"),
            (
                "Knocks",
                status.knocksPending == 0 ? "none waiting" : "\(status.knocksPending) waiting for you (meshpeer knocks)"
            ),
            ("Contacts", "\(status.contacts)"),
        ]
        if let url = status.apiURL { lines.append(("API", url)) }
        return lines.map { $0.0.padding(toLength: 10, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
