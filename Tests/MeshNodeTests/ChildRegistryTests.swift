import Foundation
import TestSupport
import Testing

@testable import MeshNode

/// The children `ChildProcess.terminateAll` would stop (meshbench calls it on SIGINT and SIGTERM): a child is tracked
/// from its start until its exit is seen, however it ends, and exited children do not pile up. (`terminateAll` itself is not called here: tests in the
/// same process run children of their own.)
@Suite struct ChildRegistryTests {
    static func sleeper() throws -> ChildProcess {
        try ChildProcess(
            name: "sleep",
            executable: "/bin/sh",
            arguments: ["-c", "exec sleep 60"],
            logPath: TestDirectory.make("child").appendingPathComponent("sleep.log").path
        )
    }

    @Test func aChildIsTrackedUntilItStops() async throws {
        let child = try Self.sleeper()
        #expect(child.isTracked)
        #expect(await child.stop(grace: .seconds(2)) != 0)  // SIGTERM (or SIGKILL after 2 s) ends sleep
        #expect(!child.isTracked)
    }

    /// A parent that takes SIGTERM through a dispatch source ignores it first (meshbench, a ServiceGroup), and an
    /// ignored signal survives exec: `sleep` used to outlive `stop` until the SIGKILL after its grace. The test
    /// process ignores SIGTERM from here on, as the ServiceLifecycle suites beside it already make it do.
    @Test func aChildStopsOnSIGTERMWhenTheParentIgnoresIt() async throws {
        signal(SIGTERM, SIG_IGN)
        let child = try ChildProcess(
            name: "sleep",
            executable: "/bin/sh",
            arguments: ["-c", "echo ready; exec sleep 60"],
            logPath: TestDirectory.make("child").appendingPathComponent("sleep.log").path
        )
        #expect(ChildLaunch.canRestoreSignals)  // Debian's coreutils has `env --default-signal`
        // The shell runs once `env` has reset the dispositions and exec'd it.
        _ = try await child.waitForLine(timeout: .seconds(30)) { $0 == "ready" }
        let status = try String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)
        let ignored = status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }.flatMap {
            UInt64($0.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        #expect(ignored.map { $0 & (1 << (SIGTERM - 1)) } == 0)
        #expect(await child.stop(grace: .seconds(30)) == SIGTERM)  // not SIGKILL after the grace
    }

    @Test func aChildThatExitsByItselfIsNoLongerTracked() async throws {
        let child = try ChildProcess(
            name: "true",
            executable: "/bin/true",
            arguments: [],
            logPath: TestDirectory.make("child").appendingPathComponent("true.log").path
        )
        #expect(await child.exitStatus() == 0)
        #expect(!child.isTracked)
        // The next start forgets it.
        let next = try ChildProcess(
            name: "true",
            executable: "/bin/true",
            arguments: [],
            logPath: TestDirectory.make("child").appendingPathComponent("true.log").path
        )
        #expect(ChildProcess.live.withLock { $0[ObjectIdentifier(child.process)] == nil })
        #expect(await next.exitStatus() == 0)
    }

    @Test func aChildThatCannotStartIsNotTracked() {
        #expect(throws: (any Error).self) {
            try ChildProcess(
                name: "missing",
                executable: "/nonexistent/meshpeer",
                arguments: [],
                logPath: TestDirectory.make("child").appendingPathComponent("missing.log").path
            )
        }
        #expect(
            ChildProcess.live.withLock { $0.values.allSatisfy { $0.executableURL?.path != "/nonexistent/meshpeer" } }
        )
    }
}
