import Foundation

/// A long-running `meshpeer` process (e.g. `dht serve --json`) whose stdout is read line by line with deadlines.
final class ServeProcess: @unchecked Sendable {
    // Thread safety: only the test that made it touches it, from one task at a time.
    let process = Process()
    private let stdout = Pipe()
    private var buffer: [UInt8] = []
    private(set) var lines: [String] = []

    /// - Parameters:
    ///   - readStandardError: read stderr (log lines) instead of stdout.
    ///   - readBoth: read stdout and stderr as one stream (overrides `readStandardError`).
    ///   - executable: the binary to run, `meshpeer` by default.
    init(
        _ arguments: [String],
        environment: [String: String] = [:],
        readStandardError: Bool = false,
        readBoth: Bool = false,
        executable: URL = CLITests.binary
    ) throws {
        process.executableURL = executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "MESHPEER_PASSPHRASE")
        merged.removeValue(forKey: "MESHPEER_HOME")
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardOutput = readStandardError && !readBoth ? FileHandle.nullDevice : stdout
        process.standardError = readStandardError || readBoth ? stdout : FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Reads lines until one is a JSON object whose "event" is `event`; returns it. Bounded by `deadline`.
    func waitForEvent(_ event: String, deadline: Duration = .seconds(30)) throws -> [String: Any] {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            guard let line = try readLine(until: end) else { break }
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == event
            {
                return object
            }
        }
        throw CLITestFailure("no \(event) line in time; saw: \(lines.joined(separator: " | "))")
    }

    private func readLine(until end: ContinuousClock.Instant) throws -> String? {
        let fd = stdout.fileHandleForReading.fileDescriptor
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while ContinuousClock.now < end {
            guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") {
                let line = String(decoding: buffer, as: UTF8.self)
                buffer = []
                lines.append(line)
                return line
            }
            buffer.append(byte)
        }
        return nil
    }

    /// Reads lines until one contains `text`. Bounded by `deadline`.
    func waitForLine(containing text: String, deadline: Duration = .seconds(30)) throws -> String {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            guard let line = try readLine(until: end) else { break }
            if line.contains(text) { return line }
        }
        throw CLITestFailure("no line with \(text) in time; saw: \(lines.joined(separator: " | "))")
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct CLITestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
