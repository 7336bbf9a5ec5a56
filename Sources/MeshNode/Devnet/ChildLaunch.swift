import Foundation

/// How a child is started so that SIGINT and SIGTERM reach it with their default action.
///
/// A process that takes SIGINT and SIGTERM through a dispatch source must first set them to `SIG_IGN` (meshbench,
/// `meshpeer relay`, and swift-service-lifecycle's `UnixSignalsSequence` in `meshpeer run` and `devnet` all do),
/// and an ignored disposition survives `exec`. Foundation's `Process` does not reset it (its `posix_spawn` sets no
/// `POSIX_SPAWN_SETSIGDEF`), so every child of such a process ignored SIGTERM unless it installed a handler of its
/// own: `meshpeer` does, but `sleep`, a shell or a Python DHT peer outlived `ChildProcess.stop` until the SIGKILL
/// after its grace, and `ChildProcess.terminateAll` did not stop them at all.
///
/// So a child is started through coreutils' `env --default-signal` (coreutils 8.31 and later; Debian 11 has 8.32),
/// which restores the default actions and then execs the program under the same pid. Where `env` lacks the option
/// the program is started directly, as before.
public enum ChildLaunch {
    static let env = "/usr/bin/env"
    static let restoredSignals = "--default-signal=INT,TERM,HUP,PIPE"

    /// Whether this machine's `env` restores signal dispositions (checked once, by running it).
    static let canRestoreSignals: Bool = {
        let files = FileManager.default
        guard files.isExecutableFile(atPath: env), files.isExecutableFile(atPath: "/bin/true") else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: env)
        probe.arguments = [restoredSignals, "/bin/true"]
        probe.standardInput = FileHandle.nullDevice
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do {
            try probe.run()
        } catch {
            return false
        }
        probe.waitUntilExit()
        return probe.terminationReason == .exit && probe.terminationStatus == 0
    }()

    /// The executable and arguments that run `executable arguments…` with default signal actions.
    public static func command(executable: String, arguments: [String]) -> (executable: String, arguments: [String]) {
        // A missing program is left for `Process.run` to refuse, as it would without `env`.
        guard canRestoreSignals, FileManager.default.isExecutableFile(atPath: executable) else {
            return (executable, arguments)
        }
        return (env, [restoredSignals, "--", executable] + arguments)
    }

    /// `process` set to run `executable arguments…` with default signal actions.
    public static func configure(_ process: Process, executable: String, arguments: [String]) {
        let command = command(executable: executable, arguments: arguments)
        process.executableURL = URL(fileURLWithPath: command.executable)
        process.arguments = command.arguments
    }
}
