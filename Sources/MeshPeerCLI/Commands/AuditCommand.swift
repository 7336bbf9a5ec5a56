import ArgumentParser
import CLISupport
import Foundation
import MeshNodeAPI
import MeshPeer

/// `meshpeer audit [--follow] [--json]`, `meshpeer audit verify`, `meshpeer audit export`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the node's audit log; verify its hash chain; export it as JSON Lines.",
        discussion: """
            Every knock and its decision, every message sent and received (peer, intent, size, path; bodies only \
            when config.json sets audit.recordBodies), every breaker action and policy change. Entries are \
            hash-chained: `meshpeer audit verify` names the first edited, reordered or deleted one.
            """,
        subcommands: [Show.self, Verify.self, Export.self],
        defaultSubcommand: Show.self
    )

    static func line(_ entry: AuditEntryView) -> String {
        var parts = ["#\(entry.seq)", entry.at, entry.kind]
        if let peer = entry.peer { parts.append(peer) }
        if let intent = entry.intent { parts.append(intent) }
        if let size = entry.size { parts.append("\(size) B") }
        if let path = entry.path { parts.append("via \(path)") }
        let detail = entry.detail.keys.sorted().filter { $0 != "body" }.map { "\($0)=\(entry.detail[$0] ?? "")" }
        if !detail.isEmpty { parts.append(detail.joined(separator: " ")) }
        if entry.detail["body"] != nil { parts.append("(body recorded)") }
        return parts.joined(separator: "  ")
    }

    /// Every entry after `start`, page by page; returns the last sequence number printed.
    static func pages(
        _ client: LocalAPIClient,
        after start: UInt64,
        _ emit: (AuditEntryView) throws -> Void
    ) async throws -> UInt64 {
        var cursor = start
        while true {
            let page = try await client.audit(after: cursor, limit: 1_000)
            for entry in page.entries { try emit(entry) }
            cursor = page.entries.last?.seq ?? cursor
            guard page.next != nil else { return cursor }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the audit log.")
        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions
        @Option(help: "Show entries after this sequence number.")
        var after: UInt64 = 0
        @Flag(help: "Keep running and print each new entry (Ctrl-C stops).")
        var follow = false

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let emit: (AuditEntryView) throws -> Void = { entry in
                    // Unbuffered: a follower reads line by line through a pipe, and print's buffer would hold entries back.
                    let text = output.json ? try AgentJSON.line(entry) : AuditCommand.line(entry)
                    FileHandle.standardOutput.write(Data((text + "\n").utf8))
                }
                // Subscribe before reading the backlog, so nothing written in between is missed.
                let events = follow ? try await client.connectEvents() : nil
                var cursor = try await AuditCommand.pages(client, after: after, emit)
                guard let events else { return }
                for try await event in events {
                    if event.dropped > 0 { cursor = try await AuditCommand.pages(client, after: cursor, emit) }
                    guard event.type == .audit, let entry = event.audit, entry.seq > cursor else { continue }
                    try emit(entry)
                    cursor = entry.seq
                }
                throw AgentRunner.report("the node stopped, and with it the event stream (last entry \(cursor))")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the hash chain; exit 1 and name the first bad entry when it does not verify."
        )
        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let result = try await client.verifyAudit()
                if output.json {
                    try AgentJSON.print(result)
                } else if result.ok {
                    let from = result.checkpoint.map { " from the signed checkpoint after entry \($0.seq)" } ?? ""
                    print("The audit log verifies: \(result.entries) entries\(from).")
                } else {
                    print("The audit log does NOT verify: \(result.reason ?? "unknown reason")")
                }
                if !result.ok { throw ExitCode.failure }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Print every entry as JSON Lines (one object per line), oldest first."
        )
        @OptionGroup var home: HomeOptions

        func run() async throws {
            try await AgentRunner.run(home) { client in
                _ = try await AuditCommand.pages(client, after: 0) { entry in try AgentJSON.print(entry) }
            }
        }
    }
}
