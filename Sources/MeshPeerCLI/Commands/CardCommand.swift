import ArgumentParser
import CLISupport
import Foundation
import MeshCore
import MeshNode
import MeshPeer

/// `meshpeer card`: the agent's A2A card as it is published, signed (A2A §8.4), and a check of anyone's card.
struct CardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: "Show this agent's signed A2A card, or verify a card someone handed you.",
        subcommands: [CardShowCommand.self, CardVerifyCommand.self]
    )
}

struct CardShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the card `meshpeer run` publishes: the card file, compacted to the record and signed."
    )

    @OptionGroup var options: HomeOptions

    @Flag(name: .long, help: "Print only the A2A card itself (canonical JSON), for any A2A tool.")
    var a2a = false

    @Flag(name: .long, help: "Print JSON: the DID, the kid, the size against the record's budget, and the card.")
    var json = false

    @Option(name: .long, help: "The name of a card made for a home with no card file (as `run --name`).")
    var name: String?

    func run() throws {
        try CLIRunner.run {
            let file = try options.identityFile()
            let passphrase =
                file.isPassphraseProtected ? try options.passphrase(prompt: "Passphrase: ", confirm: false) : nil
            let identity = try AgentIdentity(signingKey: file.unlock(passphrase: passphrase))
            let published = try PublishedCard.load(home: options.keystore.home, identity: identity, defaultName: name)
            if a2a {
                print(String(decoding: published.bytes, as: UTF8.self))
            } else if json {
                let report: JSONValue = .object([
                    "did": .string(published.did), "kid": .string(published.kid),
                    "bytes": .number(Double(published.bytes.count)), "budget": .number(Double(published.budget)),
                    "card_file": published.cardFile.map { .string($0) } ?? .null, "card": published.card,
                ])
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                let skills = published.card["skills"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                print("card of \(published.did)")
                print("  name       \(published.card["name"]?.stringValue ?? "")")
                print("  from       \(published.cardFile ?? "the default card (no card file)")")
                print("  skills     \(skills.joined(separator: ", "))")
                print("  signed     JWS EdDSA, kid \(published.kid) (verified)")
                print("  size       \(published.bytes.count) of the record's \(published.budget) bytes")
                print("print it with --a2a; check a card with `meshpeer card verify FILE --did DID`")
            }
        }
    }
}

struct CardVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an A2A card's signature against a DID (exit 0 when it verifies, 1 with the reason if not)."
    )

    @Argument(help: "The card's JSON file, or - for standard input.")
    var file: String

    @Option(name: .long, help: "The did:key the card must be signed by.")
    var did: String

    @Flag(name: .long, help: "Print JSON: {\"ok\": true|false, \"code\", \"reason\"}.")
    var json = false

    func run() throws {
        try CLIRunner.run {
            let limit = AgentCardSignature.maximumCardBytes
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readData(ofLength: limit + 1)
            } else {
                guard let handle = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot read \(file)") }
                defer { try? handle.close() }
                data = handle.readData(ofLength: limit + 1)
            }
            do throws(CardSignatureError) {
                try AgentCardSignature.verify(cardBytes: Array(data), did: did)
            } catch {
                if json {
                    print(#"{"ok":false,"code":"\#(error.code.rawValue)","reason":\#(jsonString(error.reason))}"#)
                    throw ExitCode.failure
                }
                throw CLIError("\(error)")
            }
            print(json ? #"{"ok":true,"did":\#(jsonString(did))}"# : "ok: the card is signed by \(did)")
        }
    }

    func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
