import ArgumentParser
import CLISupport
import Foundation
import MeshCore
import MeshNode
import MeshPeer

/// `meshpeer owner init|certify|revoke`: the person behind the agents vouches for them (decision 0093).
struct OwnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owner",
        abstract: "Manage an owner key that certifies your agents (init, certify, revoke, publish).",
        discussion: """
            The owner key lives apart from every agent (default ~/.meshpeer-owner, or --owner-home / \
            MESHPEER_OWNER_HOME), mode 0600, optionally sealed under a passphrase (--encrypt). `certify` writes \
            an owner certificate into the agent's data directory; the agent publishes it in its record and sends it \
            with its knocks. `revoke` writes a signed revocation the agent publishes the same way, keeps it in the \
            owner's list, and with --bootstrap publishes that list in the DHT under the owner's own key, where \
            peers find it even if the agent leaves it out (decision 0100). `publish` republishes the list (it lives \
            two hours in the DHT; run it hourly).
            """,
        subcommands: [Init.self, Certify.self, Revoke.self, Publish.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Create the owner key.")
        @OptionGroup var owner: OwnerOptions
        @Flag(name: .long, help: "Protect the key with a passphrase.")
        var encrypt = false
        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            try CLIRunner.run {
                let keystore = owner.keystore
                var passphrase: SecureBytes?
                if encrypt {
                    passphrase = try owner.passphrase(prompt: "New owner passphrase: ", confirm: true)
                    guard passphrase != nil else {
                        throw CLIError(
                            "--encrypt needs a passphrase: use --passphrase-file, MESHPEER_OWNER_PASSPHRASE or a terminal"
                        )
                    }
                }
                var random = SystemRandom()
                let key = try keystore.createKey(passphrase: passphrase, random: &random)
                try OwnerOutput(owner: key.did, keyFile: keystore.keyPath).print(
                    json: json,
                    text: "Created owner key \(key.did)\nKey file: \(keystore.keyPath) (mode 0600"
                        + (encrypt ? ", passphrase-protected)" : ")")
                )
            }
        }
    }

    struct Certify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certify",
            abstract: "Sign a certificate for an agent and write it into the agent's data directory."
        )
        @OptionGroup var owner: OwnerOptions
        @Option(help: "The agent's data directory (its identity is read from there; no passphrase needed).")
        var agentHome: String
        @Option(help: "Days the certificate is valid.")
        var days = 365
        @Option(help: "Issue time, seconds since the epoch (default: now).")
        var issuedAt: Int64?
        @Option(help: "Expiry, seconds since the epoch (overrides --days).")
        var expiresAt: Int64?
        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            try CLIRunner.run {
                let agent = try Keystore(home: agentHome).readIdentityFile().publicKey
                let key = try owner.loadKey()
                let now = SystemClock().now()
                let issued = issuedAt.map { Timestamp(secondsSinceEpoch: $0) } ?? now
                guard (1...36_500).contains(days) else { throw CLIError("--days is 1 to 36500") }
                let expiry = expiresAt.map { Timestamp(secondsSinceEpoch: $0) } ?? issued + .seconds(days * 86_400)
                guard issued < expiry else { throw CLIError("the certificate must expire after it is issued") }
                // Milliseconds since the epoch: increasing, so a newer certificate always has a larger serial.
                let serial = UInt64(max(0, now.millisecondsSinceEpoch))
                let certificate = OwnerCertificate.issue(
                    owner: key,
                    agent: agent,
                    serial: serial,
                    issuedAt: issued,
                    expiresAt: expiry
                )
                try OwnerCredentialsFile.writeCertificate(certificate, home: agentHome)
                var output = OwnerOutput(owner: key.publicKey.did, keyFile: owner.keystore.keyPath)
                output.agent = agent.did
                output.serial = String(serial)
                output.expiresAt = certificate.expiresAt.secondsSinceEpoch
                output.file = OwnerCredentialsFile.certificatePath(home: agentHome)
                try output.print(
                    json: json,
                    text: "Certified \(agent.did) (serial \(serial)) until \(certificate.expiresAt.secondsSinceEpoch)"
                        + "\nWrote \(OwnerCredentialsFile.certificatePath(home: agentHome))"
                )
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke an agent's certificate; the agent publishes the revocation with its record."
        )
        @OptionGroup var owner: OwnerOptions
        @Option(help: "The agent's data directory: revokes its current certificate and stores the revocation there.")
        var agentHome: String?
        @Option(help: "The agent's DID (with --serial, when its data directory is not at hand).")
        var agent: String?
        @Option(help: "The certificate's serial (with --agent).")
        var serial: UInt64?
        @Option(help: "Also write the revocation (145 bytes) to this file.")
        var out: String?
        @OptionGroup var dht: OwnerDHTOptions
        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            try CLIRunner.run {
                let key = try owner.loadKey()
                let target: (agent: Ed25519.PublicKey, serial: UInt64)
                if let agentHome {
                    guard let certificate = try OwnerCredentialsFile.certificate(home: agentHome) else {
                        throw CLIError("\(agentHome) holds no owner certificate to revoke")
                    }
                    guard certificate.owner == key.publicKey else {
                        throw CLIError(
                            "the certificate in \(agentHome) was signed by \(certificate.owner.did), not you"
                        )
                    }
                    target = (certificate.agent, certificate.serial)
                } else if let agent, let serial {
                    target = (try DIDKey.decode(agent), serial)
                } else {
                    throw CLIError("name the certificate: --agent-home DIR, or --agent DID and --serial N")
                }
                let revocation = OwnerRevocation.issue(
                    owner: key,
                    agent: target.agent,
                    serial: target.serial,
                    revokedAt: SystemClock().now()
                )
                if let agentHome { try OwnerCredentialsFile.addRevocation(revocation, home: agentHome) }
                if let out { try SecureFile.replace(at: out, contents: revocation.encoded()) }
                // The owner's own list (same file format, in the owner's directory): what `publish` signs.
                let ownerHome = owner.keystore.home
                try OwnerCredentialsFile.addRevocation(revocation, home: ownerHome)
                var output = OwnerOutput(owner: key.publicKey.did, keyFile: owner.keystore.keyPath)
                output.agent = target.agent.did
                output.serial = String(target.serial)
                output.file = agentHome.map { OwnerCredentialsFile.revocationsPath(home: $0) } ?? out
                if dht.wantsPublish {
                    let all = try OwnerCredentialsFile.revocations(home: ownerHome)
                    let (record, accepted) = try OwnerPublishing.publish(all, key: key, options: dht)
                    output.published = accepted
                    output.sequence = String(record.sequence)
                }
                try output.print(
                    json: json,
                    text: "Revoked certificate \(target.serial) of \(target.agent.did)"
                        + (output.file.map { "\nWrote \($0)" } ?? "")
                        + (output.published.map { "\nPublished the owner's revocation list to \($0) DHT nodes" } ?? "")
                )
            }
        }
    }
}

extension OwnerCommand {
    /// `meshpeer owner publish`: re-signs and republishes the owner's revocation list (decision 0100).
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Publish the owner's revocation list in the DHT again (it lives two hours; run it hourly)."
        )
        @OptionGroup var owner: OwnerOptions
        @OptionGroup var dht: OwnerDHTOptions
        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            try CLIRunner.run {
                let key = try owner.loadKey()
                let all = try OwnerCredentialsFile.revocations(home: owner.keystore.home)
                let (record, accepted) = try OwnerPublishing.publish(all, key: key, options: dht)
                var output = OwnerOutput(owner: key.publicKey.did, keyFile: owner.keystore.keyPath)
                output.published = accepted
                output.sequence = String(record.sequence)
                output.revocations = record.entries.count
                try output.print(
                    json: json,
                    text: "Published \(record.entries.count) revocations to \(accepted) DHT nodes "
                        + "(sequence \(record.sequence), until \(record.expiresAt.secondsSinceEpoch))"
                )
            }
        }
    }
}

/// Where the owner key is and how to unlock it.
struct OwnerOptions: ParsableArguments {
    @Option(name: .long, help: "Owner key directory (default: $MESHPEER_OWNER_HOME or ~/.meshpeer-owner).")
    var ownerHome: String?

    @Option(
        name: .long,
        help: "Read the owner key's passphrase from this file (first line) instead of MESHPEER_OWNER_PASSPHRASE."
    )
    var passphraseFile: String?

    var keystore: OwnerKeystore {
        OwnerKeystore(
            home: OwnerKeystore.resolveHome(explicit: ownerHome, environment: ProcessInfo.processInfo.environment)
        )
    }

    func loadKey() throws -> Ed25519.PrivateKey {
        let keystore = keystore
        guard keystore.hasKey else {
            throw CLIError("no owner key in \(keystore.home): run `meshpeer owner init` first (or pass --owner-home)")
        }
        let file = try keystore.readKeyFile()
        let passphrase = file.isPassphraseProtected ? try passphrase(prompt: "Owner passphrase: ", confirm: false) : nil
        return try file.unlock(passphrase: passphrase)
    }

    /// --passphrase-file, then MESHPEER_OWNER_PASSPHRASE, then (on a terminal) a prompt.
    func passphrase(prompt: String, confirm: Bool) throws -> SecureBytes? {
        try PassphraseSource.read(
            file: passphraseFile,
            environmentVariable: "MESHPEER_OWNER_PASSPHRASE",
            prompt: prompt,
            confirm: confirm
        )
    }
}

/// What the owner commands print with --json.
struct OwnerOutput: Encodable {
    var owner: String
    var keyFile: String
    var agent: String?
    var serial: String?
    var expiresAt: Int64?
    var file: String?
    /// DHT nodes that accepted the owner's revocation list, its sequence, and how many it holds.
    var published: Int?
    var sequence: String?
    var revocations: Int?

    init(owner: String, keyFile: String) {
        self.owner = owner
        self.keyFile = keyFile
    }

    func print(json: Bool, text: String) throws {
        Swift.print(json ? try AgentJSON.line(self) : text)
    }
}
