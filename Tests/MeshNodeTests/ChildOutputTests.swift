import Foundation
import TestSupport
import Testing

@testable import MeshNode

/// A child's last lines count even when its exit is seen before they are read: `meshpeer owner` prints its answer
/// and exits at once, and `waitForLine` used to take the exit, noticed while the answer was still in the pipe, for a
/// failure (CI on December 6). The race is lost in a few runs of a hundred on a busy machine, so the test starts a
/// hundred such children.
@Suite struct ChildOutputTests {
    @Test func aLinePrintedJustBeforeExitIsNeverLost() async throws {
        let directory = TestDirectory.make("child-output")
        for index in 0..<100 {
            let child = try ChildProcess(
                name: "echo-\(index)",
                executable: "/bin/sh",
                arguments: ["-c", "echo '{\"index\":\(index)}'"],
                logPath: directory.appendingPathComponent("echo-\(index).log").path
            )
            let line = try await child.waitForLine(timeout: .seconds(30)) { $0.hasPrefix("{") }
            #expect(line == "{\"index\":\(index)}")
            #expect(await child.exitStatus() == 0)
        }
    }

    /// A child that exits without the line is still reported promptly, as an exit, with its status.
    @Test func aChildThatExitsWithoutTheLineIsReportedAsExited() async throws {
        let child = try ChildProcess(
            name: "quiet",
            executable: "/bin/sh",
            arguments: ["-c", "echo other; exit 3"],
            logPath: TestDirectory.make("child-output").appendingPathComponent("quiet.log").path
        )
        let started = ContinuousClock.now
        do {
            _ = try await child.waitForLine(timeout: .seconds(30)) { $0 == "never" }
            Issue.record("waitForLine returned for a line the child never printed")
        } catch {
            #expect("\(error)".contains("exited (status 3)"))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
