import ArgumentParser
import CLISupport
import Foundation
import MeshNodeAPI
import MeshPeer

/// `meshpeer inbox`: received messages by cursor, and with --follow as they arrive.
struct AgentInboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "Show received messages after a cursor; --follow keeps printing them as they arrive.",
        discussion: "Each message has a cursor; pass the last one you saw as --after to see only newer ones."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    @Option(help: "Show messages after this cursor (0: from the start).")
    var after: Int64 = 0

    @Option(help: "At most this many messages (1-500).")
    var limit: Int = 100

    @Flag(help: "Keep running and print each message as it arrives (Ctrl-C stops).")
    var follow = false

    func validate() throws {
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be 1-500") }
        guard after >= 0 else { throw ValidationError("--after must not be negative") }
    }

    func run() async throws {
        try await AgentRunner.run(home) { client in
            guard follow else {
                let page = try await client.messages(after: after, limit: limit)
                if output.json { return try AgentJSON.print(page) }
                if page.messages.isEmpty { print("No messages after cursor \(after).") }
                for message in page.messages { print(line(message)) }
                if !page.messages.isEmpty { print("(next: meshpeer inbox --after \(page.cursor))") }
                return
            }
            try await followInbox(client)
        }
    }

    /// Subscribes first, then prints the backlog, then each new message; a gap (events the stream dropped) is
    /// filled from the inbox by cursor, so nothing is skipped or printed twice.
    private func followInbox(_ client: LocalAPIClient) async throws {
        let events = try await client.connectEvents()
        var cursor = try await printPages(client, after: after)
        for try await event in events where event.type == .message {
            if event.dropped > 0 {
                cursor = try await printPages(client, after: cursor)
            }
            guard let message = event.message, message.cursor > cursor else { continue }
            try emit(message)
            cursor = message.cursor
        }
        // The stream ends only when the node stops: say so, and fail, so a supervising script notices.
        throw AgentRunner.report("the node stopped, and with it the event stream (last cursor \(cursor))")
    }

    private func printPages(_ client: LocalAPIClient, after start: Int64) async throws -> Int64 {
        var cursor = start
        while true {
            let page = try await client.messages(after: cursor, limit: 500)
            for message in page.messages { try emit(message) }
            guard !page.messages.isEmpty else { return cursor }
            cursor = page.cursor
        }
    }

    private func emit(_ message: InboxMessage) throws {
        print(output.json ? try AgentJSON.line(message) : line(message))
        fflush(nil)
    }

    private func line(_ message: InboxMessage) -> String {
        var text = "#\(message.cursor)  \(AgentFormat.relative(message.receivedAt))  "
        text += "\(AgentFormat.did(message.from, full: output.full))  \(message.intent)  "
        text += AgentFormat.body(message.intent, message.body, full: output.full)
        if let reply = message.inReplyTo { text += "  (reply to \(reply))" }
        return text
    }
}
