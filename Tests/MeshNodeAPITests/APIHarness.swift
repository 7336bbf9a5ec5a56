import Foundation
import Logging
import MeshNodeAPI
import MeshPeer
import NIOCore
import NIOPosix
import ServiceLifecycle
import TestSupport

/// A real local API server on 127.0.0.1, port 0, over a `FakeNode`, run in a `ServiceGroup` the way the node
/// runs it and stopped by a graceful shutdown (never by cancelling its task).
struct APIHarness: Sendable {
    let url: String
    let directory: String
    let token: APIToken
    let node: FakeNode
    let client: LocalAPIClient
    let group: any EventLoopGroup
    let serviceGroup: ServiceGroup

    struct DidNotStart: Error {}

    static func with<T: Sendable>(
        _ configuration: LocalAPIConfiguration = LocalAPIConfiguration(),
        _ body: @Sendable (APIHarness) async throws -> T
    ) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = try APIToken.load(orCreateIn: directory)
        let node = FakeNode()
        var logger = Logger(label: "meshpeer.api.test")
        logger.logLevel = .error
        let (bound, boundSink) = AsyncStream<String>.makeStream()
        let service = try LocalAPI.makeService(
            control: node,
            token: token,
            tokenDirectory: directory,
            configuration: configuration,
            eventLoopGroup: group,
            logger: logger,
            endpointFileDirectory: directory
        ) { url in
            boundSink.yield(url)
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [service], gracefulShutdownSignals: [], logger: logger)
        )
        let result: T = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { boundSink.finish() }
                try await serviceGroup.run()
            }
            var iterator = bound.makeAsyncIterator()
            guard let url = await iterator.next() else {
                try await tasks.waitForAll()
                throw DidNotStart()
            }
            do {
                let client = try LocalAPIClient(directory: directory, eventLoopGroup: group)
                let harness = APIHarness(
                    url: url,
                    directory: directory,
                    token: token,
                    node: node,
                    client: client,
                    group: group,
                    serviceGroup: serviceGroup
                )
                let value = try await body(harness)
                await serviceGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
        try await group.shutdownGracefully()
        return result
    }

    static func temporaryDirectory() -> String {
        TestDirectory.make("meshpeer-api").path
    }

    /// Sends `request` as raw bytes (see `RawHTTP`).
    func raw(
        _ request: String,
        until done: @escaping @Sendable (String) -> Bool = { _ in false }
    ) async throws -> RawHTTP.Reply {
        guard let (host, port) = Self.hostPort(url) else { throw DidNotStart() }
        return try await RawHTTP.exchange(Array(request.utf8), host: host, port: port, group: group, until: done)
    }

    /// A request line plus headers with this harness's token (unless `token` is given), `Connection: close`.
    func request(
        _ method: String,
        _ path: String,
        token: String? = nil,
        headers: [String] = [],
        body: String? = nil
    ) -> String {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines.append("Authorization: Bearer \(token ?? self.token.value)")
        lines += headers
        if let body { lines.append("Content-Length: \(body.utf8.count)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")
    }

    static func hostPort(_ url: String) -> (String, Int)? {
        guard let colon = url.lastIndex(of: ":"), let port = Int(url[url.index(after: colon)...]) else { return nil }
        return (String(url[url.index(url.startIndex, offsetBy: 7)..<colon]), port)
    }
}

/// Waits for `condition`, polling, for at most `seconds`: never a fixed sleep.
func eventually(
    _ seconds: Double = 5,
    _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
