import Foundation

/// A server process the benchmark starts (the relay, or the baseline forwarder) and always stops.
final class ChildProcess {
    let process = Process()
    private let stdout = Pipe()
    private(set) var port = 0

    /// An executable built beside this one (`swift build -c release` builds both).
    static func sibling(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchError("\(url.path) is missing: run `swift build -c release` first")
        }
        return url
    }

    /// Starts the process and waits (at most 60 s) for its JSON line with `"port"`.
    init(_ executable: URL, _ arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = try readLine(deadline: .seconds(60))
        guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let port = json["port"] as? Int
        else {
            stop()
            throw BenchError("unexpected output from \(executable.lastPathComponent): \(line)")
        }
        self.port = port
    }

    private func readLine(deadline: Duration) throws -> String {
        var buffer: [UInt8] = []
        let end = ContinuousClock.now + deadline
        var poll = pollfd(fd: stdout.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while ContinuousClock.now < end {
            guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(poll.fd, &byte, 1) == 1 else { break }
            if byte == UInt8(ascii: "\n") { return String(decoding: buffer, as: UTF8.self) }
            buffer.append(byte)
        }
        throw BenchError("no startup line in time")
    }

    /// Peak and current resident memory in KiB (from /proc).
    func memoryKiB() -> (peak: Int, current: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return (field("VmHWM"), field("VmRSS"))
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let end = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < end { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Runs async work from a synchronous ParsableCommand.
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let failure = LockedBox()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { failure.set("\(error)") }
        done.signal()
    }
    done.wait()
    if let message = failure.get() { throw BenchError(message) }
}

final class LockedBox: @unchecked Sendable {
    // Thread safety: every access holds `lock`.
    private let lock = NSLock()
    private var value: String?
    func set(_ text: String) { lock.withLock { value = text } }
    func get() -> String? { lock.withLock { value } }
}
