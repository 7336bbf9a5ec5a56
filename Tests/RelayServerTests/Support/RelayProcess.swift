import Foundation
import MeshCore
import TestSupport

/// A real `meshpeer relay` process on 127.0.0.1, with its data directory; stopped and removed by the test.
final class RelayProcess: @unchecked Sendable {
    // Thread safety: `process` and `stdout` are touched by the test that owns this object, or by one `offThePool`
    // thread while that test awaits it (`terminate`, `signalAndReadLine`), never by two at once.
    let process: Process
    let dataDirectory: String
    let port: Int
    let nodeID: String
    let publicKey: Ed25519.PublicKey
    /// The UDP port of the relay's DHT bootstrap node, when the config has a `dht` object.
    let dhtPort: Int?
    /// The port of the `/metrics` and `/healthz` listener (loopback).
    let metricsPort: Int
    private let stdout: Pipe

    /// The built executable beside the test bundle.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("meshpeer").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("meshpeer")
    }()

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("meshpeer-relay-\(UUID().uuidString)").path
    }

    /// A port that was free a moment ago (so a restarted relay can reuse it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the relay with `limits` (JSON keys of RelayLimits) and `dht` (the config's `dht` object, if any)
    /// and waits for its "listening" line, off the cooperative pool (`offThePool`). The relay runs as a loopback lab
    /// (`"lab": true`, so its advert may name 127.0.0.1) unless `lab` is false, with its metrics listener on a free
    /// port; `arguments` are added to the command line.
    static func start(
        dataDirectory: String,
        port: Int = 0,
        limits: [String: Double] = [:],
        dht: [String: Any]? = nil,
        tls: [String: String]? = nil,
        lab: Bool = true,
        arguments: [String] = [],
        shellPrefix: String? = nil,
        standardError: String? = nil,
        deadline: Duration = .seconds(30)
    ) async throws -> RelayProcess {
        // The launch is quick and runs here (the config's dictionaries are not Sendable); only the wait for the first
        // line goes off the pool.
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let configPath = dataDirectory + "/relay.json"
        var config: [String: Any] = [
            "listen": "127.0.0.1:\(port)", "data": dataDirectory, "limits": limits, "lab": lab,
            "metricsListen": "127.0.0.1:0",
        ]
        if let dht { config["dht"] = dht }
        if let tls { config["tls"] = tls }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        let relayArguments = ["relay", "--config", configPath] + arguments
        let launch = Launch(process: Process(), stdout: Pipe(), dataDirectory: dataDirectory)
        let process = launch.process
        if let shellPrefix {
            // `sh -c 'PREFIX; exec "$0" "$@"'`: the relay replaces the shell, so signals reach it directly.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shellPrefix + "; exec \"$0\" \"$@\"", RelayProcess.binary.path] + relayArguments
        } else {
            process.executableURL = RelayProcess.binary
            process.arguments = relayArguments
        }
        process.standardOutput = launch.stdout
        if let standardError {
            _ = FileManager.default.createFile(atPath: standardError, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: standardError))
        } else {
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return try await offThePool { try RelayProcess(launch, deadline: deadline) }
    }

    /// A relay process started and not yet heard from.
    struct Launch: @unchecked Sendable {
        // Thread safety: handed from the test's task to one `offThePool` thread, then never touched again.
        let process: Process
        let stdout: Pipe
        let dataDirectory: String
    }

    /// Reads the launched relay's first line (blocking, bounded by `deadline`): where it listens.
    private init(_ launch: Launch, deadline: Duration) throws {
        process = launch.process
        stdout = launch.stdout
        dataDirectory = launch.dataDirectory
        let line: String
        do {
            line = try RelayProcess.readLine(stdout.fileHandleForReading, deadline: deadline)
        } catch {
            process.terminate()
            throw error
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            json["event"] as? String == "listening", let port = json["port"] as? Int,
            let metricsPort = json["metrics_port"] as? Int,
            let node = json["node_id"] as? String, let key = json["public_key"] as? String,
            let keyBytes = Hex.decode(key)
        else {
            process.terminate()
            throw TestFailure("unexpected first line from the relay: \(line)")
        }
        self.port = port
        self.metricsPort = metricsPort
        self.nodeID = node
        self.publicKey = try Ed25519.PublicKey(rawRepresentation: keyBytes)
        self.dhtPort = json["dht_port"] as? Int
    }

    /// The WebSocket URL clients use.
    var address: String { "ws://127.0.0.1:\(port)/relay" }

    static func readLine(_ handle: FileHandle, deadline: Duration) throws -> String {
        var buffer: [UInt8] = []
        let end = ContinuousClock.now + deadline
        var poll = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while ContinuousClock.now < end {
            guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(handle.fileDescriptor, &byte, 1) == 1 else { break }
            if byte == UInt8(ascii: "\n") { return String(decoding: buffer, as: UTF8.self) }
            buffer.append(byte)
        }
        throw TestFailure("no line from the relay in time (got \(String(decoding: buffer, as: UTF8.self)))")
    }

    /// Sends `signal` and returns the next stdout line (the relay's answer, e.g. to SIGHUP).
    func signalAndReadLine(_ signal: Int32, deadline: Duration = .seconds(10)) async throws -> String {
        kill(process.processIdentifier, signal)
        return try await offThePool { try RelayProcess.readLine(self.stdout.fileHandleForReading, deadline: deadline) }
    }

    /// SIGKILL: no chance to flush anything.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for a clean exit (bounded) and returns the rest of stdout.
    func terminate(deadline: Duration = .seconds(20)) async throws -> (status: Int32, output: String) {
        kill(process.processIdentifier, SIGTERM)
        return try await offThePool { try self.awaitExit(deadline: deadline) }
    }

    /// Reads stdout until the process exits (blocking, bounded): `terminate`'s wait, on an `offThePool` thread.
    private func awaitExit(deadline: Duration) throws -> (status: Int32, output: String) {
        let end = ContinuousClock.now + deadline
        var rest: [String] = []
        while process.isRunning && ContinuousClock.now < end {
            if let line = try? RelayProcess.readLine(stdout.fileHandleForReading, deadline: .milliseconds(200)) {
                rest.append(line)
            }
        }
        guard !process.isRunning else {
            kill9()
            throw TestFailure("the relay did not exit within \(deadline) of SIGTERM")
        }
        while let line = try? RelayProcess.readLine(stdout.fileHandleForReading, deadline: .milliseconds(100)) {
            rest.append(line)
        }
        return (process.terminationStatus, rest.joined(separator: "\n"))
    }

    /// Ends the process if a test left it running; the test removes the directory.
    func cleanUp() {
        if process.isRunning { kill9() }
    }

    /// `GET path` over plain HTTP; returns the status code and body. `/metrics` goes to the metrics listener (the
    /// relay's own port does not serve it); everything else to the relay's port unless `port` says otherwise.
    func http(_ path: String, port explicit: Int? = nil) throws -> (status: Int, body: String) {
        let fd = try connectTCP(
            port: explicit ?? (path == "/metrics" ? metricsPort : port),
            receiveTimeoutSeconds: 5
        )
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            response += chunk[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or the deadline passes (never a fixed sleep).
func eventually(
    _ what: String,
    within deadline: Duration = .seconds(30),
    _ condition: () async throws -> Bool
) async throws {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("timed out waiting for: \(what)")
}

/// A blocking TCP connection to 127.0.0.1:`port` whose connect and reads give up after `receiveTimeoutSeconds`.
/// The caller closes the descriptor.
/// `receiveBufferBytes`, if given, is set before connecting, so that it bounds the window the peer sees.
func connectTCP(port: Int, receiveTimeoutSeconds: Int, receiveBufferBytes: Int32? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if var size = receiveBufferBytes {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    // Bounds connect too (Linux applies the send timeout to it), so a relay that stopped accepting fails the test.
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    guard connected else {
        close(fd)
        throw TestFailure("cannot connect to 127.0.0.1:\(port)")
    }
    return fd
}
