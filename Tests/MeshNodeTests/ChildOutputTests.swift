import Foundation
import ProcessSupport
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
            #expect(await child.exitStatus(timeout: .seconds(60)) == 0)
        }
    }

    /// A child that exits without the line is still reported as an exit, with its status (not as a timeout).
    @Test func aChildThatExitsWithoutTheLineIsReportedAsExited() async throws {
        let child = try ChildProcess(
            name: "quiet",
            executable: "/bin/sh",
            arguments: ["-c", "echo other; exit 3"],
            logPath: TestDirectory.make("child-output").appendingPathComponent("quiet.log").path
        )
        do {
            _ = try await child.waitForLine(timeout: .seconds(30)) { $0 == "never" }
            Issue.record("waitForLine returned for a line the child never printed")
        } catch {
            #expect("\(error)".contains("exited (status 3)"))
        }
    }

    /// A child's standard input is a pipe this process holds open, and its environment asks it to watch it
    /// (`ParentWatch`): the pipe's end of file is this process's death. (`scripts/test.d/55-devnet.sh` kills a real
    /// `devnet` with SIGKILL and checks that its seven processes stop by themselves.)
    @Test func aChildGetsALifelineAndIsAskedToWatchIt() async throws {
        let child = try ChildProcess(
            name: "lifeline",
            executable: "/bin/sh",
            arguments: [
                "-c",
                "echo \"watch=$\(ParentWatch.environmentKey)\"; if [ -p /dev/stdin ]; then echo pipe; fi; echo done",
            ],
            logPath: TestDirectory.make("child-output").appendingPathComponent("lifeline.log").path
        )
        _ = try await child.waitForLine(timeout: .seconds(30)) { $0 == "done" }
        #expect(try await child.waitForLine(timeout: .seconds(1)) { $0.hasPrefix("watch=") } == "watch=stdin")
        #expect(try await child.waitForLine(timeout: .seconds(1)) { $0 == "pipe" } == "pipe")
        #expect(await child.exitStatus(timeout: .seconds(60)) == 0)
    }
}
