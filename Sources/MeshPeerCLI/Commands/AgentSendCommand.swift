import ArgumentParser
import CLISupport
import Foundation
import MeshNodeAPI
import MeshPeer

/// `meshpeer send`: a typed message to a contact, stored in the outbox before this returns.
struct AgentSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract:
            "Send a typed message to a contact (stored, then delivered through relays until a receipt comes back).",
        discussion: """
            --text "hi" sends a chat.message whose body is {"text": "hi"}. For any other intent give the body as JSON \
            with --body or --body-file (- reads standard input).
            """
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    @Argument(help: "The contact's DID.")
    var did: String

    @Option(help: "The message's intent, such as chat.message or task.request.")
    var intent: String = "chat.message"

    @Option(help: "Text for a chat.message: the body becomes {\"text\": TEXT}.")
    var text: String?

    @Option(help: "The body as JSON.")
    var body: String?

    @Option(help: "A file holding the body as JSON (- for standard input).")
    var bodyFile: String?

    @Option(help: "The ID of the message this one answers.")
    var replyTo: String?

    @Option(help: "Seconds until the message is no longer worth delivering.")
    var expires: Int?

    func validate() throws {
        guard [text != nil, body != nil, bodyFile != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --text, --body or --body-file")
        }
        if text != nil && intent != "chat.message" {
            throw ValidationError("--text makes a chat.message; use --body for intent \(intent)")
        }
        if let expires, expires < 1 { throw ValidationError("--expires must be at least 1 second") }
    }

    func run() async throws {
        let messageBody = try makeBody()
        try await AgentRunner.run(home) { client in
            let sent = try await client.send(
                SendRequest(to: did, intent: intent, body: messageBody, inReplyTo: replyTo, expiresInSeconds: expires)
            )
            if output.json { return try AgentJSON.print(sent) }
            print(
                "Message \(sent.id) (\(sent.intent)) to \(AgentFormat.did(sent.to, full: output.full)) is \(sent.state); "
                    + "it expires \(AgentFormat.relative(sent.expiresAt))."
            )
        }
    }

    private func makeBody() throws -> JSONValue {
        if let text { return .object(["text": .string(text)]) }
        let data: Data
        let source: String
        if let body {
            data = Data(body.utf8)
            source = "--body"
        } else {
            let path = bodyFile ?? "-"
            source = path == "-" ? "standard input" : path
            do {
                data =
                    path == "-"
                    ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw AgentRunner.report("cannot read \(path): \(error.localizedDescription)")
            }
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw AgentRunner.report("the body in \(source) is not valid JSON")
        }
    }
}
