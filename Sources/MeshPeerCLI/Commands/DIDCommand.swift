import ArgumentParser
import CLISupport
import Foundation
import MeshCore

struct DIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "did",
        abstract: "Work with did:key identifiers.",
        subcommands: [Inspect.self]
    )

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a did:key and show the key and node ID it names (fails for a malformed DID)."
        )

        @Argument(help: "A did:key identifier, e.g. did:key:z6Mk…")
        var did: String

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            try CLIRunner.run {
                let key = try DIDKey.decode(did)
                let report: [String: String] = [
                    "did": key.did,
                    "ed25519_public_key": Hex.encode(key.rawRepresentation),
                    "x25519_public_key": Hex.encode(try key.agreementKey().rawRepresentation),
                    "node_id": NodeID(publicKey: key).hex,
                ]
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(report), as: UTF8.self))
                } else {
                    for name in report.keys.sorted() { print("\(name): \(report[name]!)") }
                }
            }
        }
    }
}
