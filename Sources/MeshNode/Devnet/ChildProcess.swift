import Foundation
import MeshCore
import ProcessSupport

/// A process this one started (a relay, a bootstrap node, an agent's node): its stdout is read line by line into
/// a bounded buffer and copied, with stderr, to a log file; it is stopped with SIGTERM (graceful) or SIGKILL. It
/// starts with the default SIGINT and SIGTERM actions whatever this process ignores (`ChildLaunch`).
///
/// Used by `meshpeer devnet` and by the multi-process tests: one way to run and watch a child, not one per suite.
public final class ChildProcess: Sendable {
    public let name: String
    public let logPath: String
    let process: Process
    private let lines = LockedValue<[String]>([])
    private let waiters = LockedValue<[Int: @Sendable () -> Void]>([:])
    private let nextWaiter = LockedValue(0)
    /// Set once the reader has read stdout to its end: only then has every line the child printed been seen.
    private let outputEnded = LockedValue(false)
    /// Stdout lines kept for `waitForLine` (the oldest are dropped beyond this; the log file keeps everything).
    static let keptLines = 10_000
    /// How long `waitForLine` still waits for output after the child exited, for a pipe a grandchild keeps open.
    static let outputGrace = Duration.seconds(2)
    /// How long `waitForLine` waits, after a child's output ended, for its exit to be noticed.
    static let exitAfterOutput = Duration.seconds(30)
    /// The children this process started, for `terminateAll`: by object, not by pid, so an exited child's pid, reused
    /// by the system, is never signalled. Children that have exited are forgotten whenever one starts, so it holds
    /// at most the running children and those that exited since the last start.
    static let live = LockedValue<[ObjectIdentifier: Process]>([:])
    /// The write ends of the children's standard-input pipes (`ParentWatch`), held until the child is seen to exit:
    /// never written to, they close with this process, and each child then stops itself.
    static let lifelines = LockedValue<[ObjectIdentifier: FileHandle]>([:])

    public init(
        name: String,
        executable: String,
        arguments: [String],
        logPath: String,
        environment: [String: String]? = nil
    )
        throws
    {
        self.name = name
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let stdout = Pipe()
        let process = Process()
        ChildLaunch.configure(process, executable: executable, arguments: arguments)
        var childEnvironment = environment ?? ProcessInfo.processInfo.environment
        childEnvironment[ParentWatch.environmentKey] = ParentWatch.environmentValue
        process.environment = childEnvironment
        let lifeline = Pipe()
        process.standardOutput = stdout
        process.standardError = log
        process.standardInput = lifeline
        self.process = process
        try process.run()
        ChildProcess.track(process, lifeline: lifeline.fileHandleForWriting)
        PipeLineReader.start(
            stdout.fileHandleForReading,
            name: "child-\(name)",
            chunk: { log.write(Data($0)) },
            lines: { [lines, waiters] complete, _ in
                lines.withLock { kept in
                    kept += complete
                    if kept.count > ChildProcess.keptLines { kept.removeFirst(kept.count - ChildProcess.keptLines) }
                }
                for wake in waiters.withLock({ Array($0.values) }) { wake() }
            },
            end: { [outputEnded, waiters] in
                outputEnded.withLock { $0 = true }
                for wake in waiters.withLock({ Array($0.values) }) { wake() }
            }
        )
    }

    /// Adds a running process to those `terminateAll` stops: a `ChildProcess`, or one started with pipes of its
    /// own (the DHT race's peers). Exited ones are forgotten here.
    public static func track(_ process: Process) {
        track(process, lifeline: nil)
    }

    static func track(_ process: Process, lifeline: FileHandle?) {
        let exited = live.withLock { live in
            let exited = live.filter { !$0.value.isRunning }.map(\.key)
            for key in exited { live[key] = nil }
            live[ObjectIdentifier(process)] = process
            return exited
        }
        let closing = lifelines.withLock { lifelines in
            let closing = exited.compactMap { lifelines.removeValue(forKey: $0) }
            if let lifeline { lifelines[ObjectIdentifier(process)] = lifeline }
            return closing
        }
        // A child that has exited no longer reads its end; closing ours can only fail if it is closed already.
        for handle in closing { try? handle.close() }
    }

    /// SIGTERM to every child still running. For a benchmark or devnet stopped by a signal of its own: without
    /// it the relays and nodes it started keep running after it (Ctrl-C on `meshbench e2e` left a dozen behind).
    public static func terminateAll() {
        for process in live.withLock({ Array($0.values) }) where process.isRunning { process.terminate() }
    }

    /// Whether `terminateAll` would signal this child: started, and not seen to exit.
    var isTracked: Bool { process.isRunning && ChildProcess.live.withLock { $0[ObjectIdentifier(process)] != nil } }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Waits (bounded) for a stdout line that satisfies `matches` and returns it, or throws with the log's tail.
    public func waitForLine(timeout: Duration, _ matches: @escaping @Sendable (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var exitSeen: ContinuousClock.Instant?
        var endSeen: ContinuousClock.Instant?
        while true {
            if let line = lines.withLock({ $0.first(where: matches) }) { return line }
            // The child's exit is no answer by itself: its last lines may still be in the pipe, on their way to the
            // reader thread (a `meshpeer owner` that printed its answer and exited was taken for a failure). The
            // answer is final once the reader has reached the end of the output, or, if a grandchild holds the pipe
            // open, a grace after the exit.
            if outputEnded.withLock({ $0 }) {
                if !process.isRunning {
                    throw failure("exited (status \(process.terminationStatus)) without the expected line")
                }
                // A child's output ends as it exits, and the exit is noticed later, seconds later on a loaded machine
                // (CI saw "closed its output" for `sh -c 'exit 3'`): wait for it, so the failure names the status.
                // Only a child that closes its output and lives on waits the whole `exitAfterOutput` (or timeout).
                let ended = endSeen ?? ContinuousClock.now
                endSeen = ended
                let now = ContinuousClock.now
                if now - ended > ChildProcess.exitAfterOutput || now >= deadline {
                    throw failure("closed its output without the expected line")
                }
            }
            if !process.isRunning {
                let seen = exitSeen ?? ContinuousClock.now
                exitSeen = seen
                if ContinuousClock.now - seen > ChildProcess.outputGrace {
                    throw failure("exited (status \(process.terminationStatus)); its output stayed open")
                }
            }
            guard ContinuousClock.now < deadline else { throw failure("no expected line within \(timeout)") }
            // Sleep until more output arrives, or 100 ms (the exit check above needs a pulse).
            let id = nextWaiter.withLock { value in
                value += 1
                return value
            }
            let signal = AsyncStream<Void>.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            waiters.withLock { $0[id] = { signal.continuation.yield() } }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in signal.stream { return } }
                group.addTask { try? await Task.sleep(for: .milliseconds(100)) }
                await group.next()
                group.cancelAll()
            }
            signal.continuation.finish()
            waiters.withLock { $0[id] = nil }
        }
    }

    /// Waits for the first JSON line whose `event` field is `event`, decoded as `T`.
    public func waitForEvent<T: Decodable>(_ event: String, as type: T.Type, timeout: Duration) async throws -> T {
        let line = try await waitForLine(timeout: timeout) { $0.contains("\"event\":\"\(event)\"") }
        return try JSONDecoder().decode(T.self, from: Data(line.utf8))
    }

    /// SIGTERM, then waits up to `grace` for a clean exit before SIGKILL. Returns the exit status.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill() }
        return await exitStatus()
    }

    /// SIGKILL: the crash the tests simulate.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    public func exitStatus(timeout: Duration = .seconds(10)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? -1 : process.terminationStatus
    }

    func failure(_ what: String) -> ConfigurationError {
        let tail =
            (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").suffix(15)
            .joined(separator: "\n") ?? ""
        return ConfigurationError("\(name) \(what); log \(logPath):\n\(tail)")
    }
}
