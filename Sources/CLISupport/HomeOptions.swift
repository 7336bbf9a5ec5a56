import ArgumentParser
import Foundation
import MeshCore

/// Options every command that touches the data directory shares.
public struct HomeOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .long, help: "Data directory (default: $MESHPEER_HOME or ~/.meshpeer).")
    public var home: String?

    @Option(
        name: .long,
        help: "Read the key passphrase from this file (first line) instead of MESHPEER_PASSPHRASE or a prompt."
    )
    public var passphraseFile: String?

    public var keystore: Keystore {
        Keystore(home: Keystore.resolveHome(explicit: home, environment: ProcessInfo.processInfo.environment))
    }

    /// The identity file, or an error that says to run `meshpeer init` when there is none (a newcomer's first
    /// mistake, which should not read as a missing-file error).
    public func identityFile() throws -> KeyFile {
        let keystore = keystore
        guard keystore.hasIdentity else {
            throw CLIError(
                "no identity in \(keystore.home): run `meshpeer init` first "
                    + "(or pass --home / set MESHPEER_HOME to the data directory that has one)"
            )
        }
        return try keystore.readIdentityFile()
    }

    /// The passphrase from --passphrase-file, then MESHPEER_PASSPHRASE, then (on a terminal) a prompt.
    public func passphrase(prompt: String, confirm: Bool) throws -> SecureBytes? {
        if let passphraseFile {
            var bytes = try SecureFile.readPrivate(at: passphraseFile, maximumByteCount: 4096)
            defer { secureZero(&bytes) }
            let line = bytes.prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
            return try nonEmpty(SecureBytes(line))
        }
        if let fromEnvironment = ProcessInfo.processInfo.environment["MESHPEER_PASSPHRASE"] {
            return try nonEmpty(SecureBytes(Array(fromEnvironment.utf8)))
        }
        guard isatty(STDIN_FILENO) != 0 else { return nil }
        let first = try TerminalPrompt.readSecret(prompt)
        if confirm {
            let second = try TerminalPrompt.readSecret("Repeat passphrase: ")
            guard first.constantTimeEquals(second) else {
                throw CLIError("the two passphrases differ; nothing was written")
            }
        }
        return try nonEmpty(first)
    }

    private func nonEmpty(_ secret: SecureBytes) throws -> SecureBytes {
        guard secret.count > 0 else { throw CLIError("the passphrase is empty") }
        return secret
    }
}

/// A failure the CLI reports as one line on stderr with a non-zero exit status.
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
