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
