import ArgumentParser
import CLISupport
import Foundation
import MeshCore

struct IdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Show this agent's DID, node ID and public keys."
    )

    @OptionGroup var options: HomeOptions

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try CLIRunner.run {
            let keystore = options.keystore
            let file = try options.identityFile()
            let passphrase =
                file.isPassphraseProtected ? try options.passphrase(prompt: "Passphrase: ", confirm: false) : nil
            let identity = try AgentIdentity(signingKey: file.unlock(passphrase: passphrase))
            let report = IdentityReport(identity: identity, keystore: keystore, protected: file.isPassphraseProtected)
            if json {
                try report.printJSON()
            } else {
                report.printText()
            }
        }
    }
}

/// What `init --json` and `id` print. Field names are part of the CLI's contract.
struct IdentityReport: Codable {
    var did: String
    var nodeID: String
    var ed25519PublicKey: String
    var x25519PublicKey: String
    var home: String
    var passphraseProtected: Bool

    enum CodingKeys: String, CodingKey {
        case did
        case nodeID = "node_id"
        case ed25519PublicKey = "ed25519_public_key"
        case x25519PublicKey = "x25519_public_key"
        case home
        case passphraseProtected = "passphrase_protected"
    }

    init(identity: AgentIdentity, keystore: Keystore, protected: Bool) {
        did = identity.did
        nodeID = identity.nodeID.hex
        ed25519PublicKey = Hex.encode(identity.publicKey.rawRepresentation)
        x25519PublicKey = Hex.encode(identity.agreementKey.publicKey.rawRepresentation)
        home = keystore.home
        passphraseProtected = protected
    }

    func printJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(self), as: UTF8.self))
    }

    func printText() {
        print("DID:               \(did)")
        print("Node ID:           \(nodeID)")
        print("Ed25519 public:    \(ed25519PublicKey)")
        print("X25519 public:     \(x25519PublicKey)")
        print("Data directory:    \(home)\(passphraseProtected ? " (key is passphrase-protected)" : "")")
    }
}
