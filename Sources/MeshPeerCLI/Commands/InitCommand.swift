import ArgumentParser
import CLISupport
import Foundation
import MeshCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create this agent's identity (an Ed25519 key) in the data directory.",
        discussion: """
            Refuses to replace an existing identity. With --encrypt the key is sealed under a passphrase \
            (Argon2id + XSalsa20-Poly1305); otherwise it is protected by file permissions (0600) only.
            """
    )

    @OptionGroup var options: HomeOptions

    @Flag(name: .long, help: "Protect the key with a passphrase.")
    var encrypt = false

    @Flag(name: .long, help: "Print the new identity as JSON.")
    var json = false

    func run() throws {
        try CLIRunner.run {
            let keystore = options.keystore
            var passphrase: SecureBytes?
            if encrypt {
                passphrase = try options.passphrase(prompt: "New passphrase: ", confirm: true)
                guard passphrase != nil else {
                    throw CLIError(
                        "--encrypt needs a passphrase: use --passphrase-file, MESHPEER_PASSPHRASE or a terminal"
                    )
                }
            }
            var random = SystemRandom()
            let identity = try keystore.createIdentity(passphrase: passphrase, random: &random)
            if json {
                try IdentityReport(identity: identity, keystore: keystore, protected: encrypt).printJSON()
            } else {
                print("Created identity \(identity.did)")
                print("Key file: \(keystore.identityPath) (mode 0600\(encrypt ? ", passphrase-protected" : ""))")
            }
        }
    }
}
