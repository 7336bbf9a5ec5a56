import Foundation
import MeshCore
import TestSupport
import Testing

@testable import MeshNode

/// Children's output read with blocking reads on threads of their own (`PipeLineReader`), the reader that replaced
/// `FileHandle.readabilityHandler` after libdispatch crashed tearing such handlers down (`meshbench dht-net` in CI).
@Suite struct PipeLineReaderTests {
    @Test func splittingKeepsAPartialLineAndCutsAnOverlongOne() {
        var pending = Array("one\ntwo\nthr".utf8)
        #expect(PipeLineReader.split(&pending) == ["one", "two"])
        #expect(pending == Array("thr".utf8))
        pending += Array("ee\n\n".utf8)
        #expect(PipeLineReader.split(&pending) == ["three", ""])
        #expect(pending.isEmpty)
        pending = [UInt8](repeating: UInt8(ascii: "x"), count: PipeLineReader.maximumLineBytes + 10)
        let cut = PipeLineReader.split(&pending)
        #expect(cut.count == 1 && cut.first?.utf8.count == PipeLineReader.maximumLineBytes)
        #expect(pending.count == 10)
    }

    /// Many children at once, as the DHT race starts them: every child's complete lines arrive, in order, then its
    /// end. (The crash this replaced was a race in libdispatch; a run of this that passes says the reader works, not
    /// that the race is gone, which the reader's not using libdispatch does.)
    @Test func manyChildrenAtOnceDeliverEveryLineThenTheirEnd() async throws {
        let children = 60
        let got = LockedValue<[Int: [String]]>([:])
        let (ends, ended) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .unbounded)
        var processes: [Process] = []
        for index in 0..<children {
            let process = Process()
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "printf 'child %s\\nsecond\\nno newline' \(index)"]
            process.standardOutput = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            PipeLineReader.start(
                output.fileHandleForReading,
                name: "test-\(index)",
                lines: { lines, _ in got.withLock { $0[index, default: []] += lines } },
                end: { ended.yield(index) }
            )
        }
        // Bounded: the stream is finished after 60 s whatever has ended by then.
        let timeout = Task {
            try await Task.sleep(for: .seconds(60))
            ended.finish()
        }
        var finished = Set<Int>()
        for await index in ends {
            finished.insert(index)
            if finished.count == children { break }
        }
        timeout.cancel()
        #expect(finished.count == children)
        for index in 0..<children {
            #expect(got.withLock { $0[index] } == ["child \(index)", "second"])
        }
        for process in processes { process.waitUntilExit() }
    }
}
