import Foundation
import MeshCore
import MeshNode

/// One DHT node process of the race (ours or theirs), driven over JSON lines: commands on its stdin, one answer
/// per command on its stdout carrying the command's `id`, and a few unnumbered event lines (`listening`, `joined`).
///
/// The time of an operation is taken when its answer line arrives on the pipe (in the reader's handler), not when
/// the awaiting task resumes, so the driver's own scheduling does not count against either side. Stderr goes to a
/// log file. Closing stdin makes both kinds of peer shut down; `stop` then waits, bounded, and kills if need be.
final class RacePeer: Sendable {
    let name: String
    let logPath: String
    private let process: Process
    private let input: FileHandle
    private let state = LockedValue(State())

    private struct State {
        var nextID = 0
        /// Unnumbered lines not yet claimed by a waiter (bounded: a peer prints only a few).
        var backlog: [String] = []
        var waiters: [Int: Waiter] = [:]
        /// Each waiter's deadline, cancelled when its line arrives (so thousands of answered commands leave no
        /// sleeping timers behind).
        var timers: [Int: Task<Void, Never>] = [:]
        var exited = false
    }

    private struct Waiter {
        /// For an answer: the command id. For an event: nil, and `matches` decides.
        var id: Int?
        var matches: @Sendable (String) -> Bool
        var resume: @Sendable ((line: String, at: ContinuousClock.Instant)?) -> Void
    }

    static let backlogLimit = 100

    init(name: String, executable: String, arguments: [String], logPath: String) throws {
        self.name = name
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let stdin = Pipe()
        let stdout = Pipe()
        let process = Process()
        ChildLaunch.configure(process, executable: executable, arguments: arguments)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = log
        self.process = process
        self.input = stdin.fileHandleForWriting
        try process.run()
        ChildProcess.track(process)
        PipeLineReader.start(
            stdout.fileHandleForReading,
            name: "race-\(name)",
            lines: { [state] lines, now in
                for line in lines { RacePeer.deliver(line, at: now, state) }
            },
            end: { [state] in RacePeer.failAll(state) }
        )
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends one command (an `id` is added) and returns its answer and the milliseconds from the write to the
    /// answer's arrival; nil when no answer came within `timeout` or the peer exited.
    func request(_ command: [String: Any], timeout: Duration) async -> (reply: [String: Any], ms: Double)? {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        var fields = command
        fields["id"] = id
        guard let body = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return nil }
        let sent = ContinuousClock.now
        let line = body + Data("\n".utf8)
        let input = self.input
        let answer = await wait(
            id: id,
            matches: { _ in false },
            timeout: timeout,
            then: { try? input.write(contentsOf: line) }
        )
        guard let answer,
            let reply = try? JSONSerialization.jsonObject(with: Data(answer.line.utf8)) as? [String: Any]
        else { return nil }
        let elapsed = answer.at - sent
        return (reply, Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
    }

    /// Waits (bounded) for an unnumbered line whose `event` is `event`, decoded.
    func waitForEvent(_ event: String, timeout: Duration) async throws -> [String: Any] {
        let needle = "\"event\":\"\(event)\""
        guard let found = await wait(id: nil, matches: { $0.contains(needle) }, timeout: timeout, then: {}),
            let fields = try? JSONSerialization.jsonObject(with: Data(found.line.utf8)) as? [String: Any]
        else { throw BenchError("\(name): no \(event) line within \(timeout); log \(logPath):\n\(logTail())") }
        return fields
    }

    /// Closes stdin (both kinds of peer then stop on their own), waits up to `grace`, then SIGKILL.
    func stop(grace: Duration = .seconds(5)) async {
        try? input.close()
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let reaped = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < reaped { try? await Task.sleep(for: .milliseconds(20)) }
    }

    func logTail() -> String {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").suffix(10)
            .joined(separator: "\n")
    }

    // MARK: Waiting

    private func wait(
        id: Int?,
        matches: @escaping @Sendable (String) -> Bool,
        timeout: Duration,
        then send: @escaping @Sendable () -> Void
    ) async -> (line: String, at: ContinuousClock.Instant)? {
        let key = state.withLock { state in
            state.nextID += 1
            return -state.nextID
        }
        let answer: (line: String, at: ContinuousClock.Instant)? = await withCheckedContinuation { continuation in
            let resume: @Sendable ((line: String, at: ContinuousClock.Instant)?) -> Void = {
                continuation.resume(returning: $0)
            }
            let early: (line: String, at: ContinuousClock.Instant)?? = state.withLock { state in
                if id == nil, let index = state.backlog.firstIndex(where: matches) {
                    return .some((state.backlog.remove(at: index), ContinuousClock.now))
                }
                if state.exited { return .some(nil) }
                state.waiters[id ?? key] = Waiter(id: id, matches: matches, resume: resume)
                return .none
            }
            if let early { return continuation.resume(returning: early) }
            send()
            let timer = Task { [state] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                let waiter = state.withLock { state in
                    state.timers[id ?? key] = nil
                    return state.waiters.removeValue(forKey: id ?? key)
                }
                waiter?.resume(nil)
            }
            state.withLock { state in
                // Already answered (or failed) while the timer was being made: nothing left to time.
                if state.waiters[id ?? key] == nil { timer.cancel() } else { state.timers[id ?? key] = timer }
            }
        }
        return answer
    }

    private static func deliver(_ line: String, at now: ContinuousClock.Instant, _ state: LockedValue<State>) {
        let id = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? Int
        let waiter: Waiter? = state.withLock { state in
            if let id, let waiter = state.waiters.removeValue(forKey: id) {
                state.timers.removeValue(forKey: id)?.cancel()
                return waiter
            }
            if id == nil, let key = state.waiters.first(where: { $0.value.id == nil && $0.value.matches(line) })?.key {
                state.timers.removeValue(forKey: key)?.cancel()
                return state.waiters.removeValue(forKey: key)
            }
            if id == nil {
                state.backlog.append(line)
                if state.backlog.count > backlogLimit { state.backlog.removeFirst() }
            }
            return nil
        }
        waiter?.resume((line, now))
    }

    private static func failAll(_ state: LockedValue<State>) {
        let waiters = state.withLock { state in
            state.exited = true
            for timer in state.timers.values { timer.cancel() }
            state.timers.removeAll()
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(nil) }
    }
}
