import Foundation
import MeshCore

/// Where a command gets a key's passphrase: a file named on the command line, else an environment variable, else a
/// prompt on the terminal (none without one). The agent's key (`MESHPEER_PASSPHRASE`) and the owner's key
/// (`MESHPEER_OWNER_PASSPHRASE`) read theirs the same way, from different variables.
public enum PassphraseSource {
    /// - Parameters:
    ///   - file: read its first line (the file must be private to the user, at most 4 KiB).
    ///   - confirm: prompt twice and refuse two different answers (for a passphrase being set).
    /// - Returns: nil when there is no file, no variable and no terminal to ask on.
    public static func read(
        file: String?,
        environmentVariable: String,
        prompt: String,
        confirm: Bool
    ) throws -> SecureBytes? {
        let secret: SecureBytes
        if let file {
            var bytes = try SecureFile.readPrivate(at: file, maximumByteCount: 4096)
            defer { secureZero(&bytes) }
            secret = SecureBytes(bytes.prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") })
        } else if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable] {
            secret = SecureBytes(Array(fromEnvironment.utf8))
        } else {
            guard isatty(STDIN_FILENO) != 0 else { return nil }
            let first = try TerminalPrompt.readSecret(prompt)
            if confirm {
                let second = try TerminalPrompt.readSecret("Repeat passphrase: ")
                guard first.constantTimeEquals(second) else {
                    throw CLIError("the two passphrases differ; nothing was written")
                }
            }
            secret = first
        }
        guard secret.count > 0 else { throw CLIError("the passphrase is empty") }
        return secret
    }
}
