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
        try PassphraseSource.read(
            file: passphraseFile,
            environmentVariable: "MESHPEER_PASSPHRASE",
            prompt: prompt,
            confirm: confirm
        )
    }
}

/// A failure the CLI reports as one line on stderr with a non-zero exit status.
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
