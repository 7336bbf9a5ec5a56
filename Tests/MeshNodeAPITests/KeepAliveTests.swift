import MeshPeer
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import MeshNodeAPI

/// The client keeps its connections to the API alive between plain requests (decision 0121), and never repeats a
/// request the node may have carried out.
@Suite struct KeepAliveTests {
    @Test func sequentialRequestsToTheNodeShareOneConnection() async throws {
        try await APIHarness.with { harness in
            for _ in 0..<20 { _ = try await harness.client.status() }
            #expect(harness.client.http.pool.connectionsOpened == 1)
            #expect(harness.client.http.pool.idleCount == 1)
        }
    }

    @Test func concurrentRequestsKeepAtMostTheIdleLimit() async throws {
        try await APIHarness.with { harness in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<24 { group.addTask { _ = try await harness.client.status() } }
                try await group.waitForAll()
            }
            let pool = harness.client.http.pool
            #expect(pool.idleCount <= LoopbackConnectionPool.maximumIdle)
            let opened = pool.connectionsOpened
            for _ in 0..<5 { _ = try await harness.client.status() }
            #expect(pool.connectionsOpened == opened, "later requests reuse what the burst left idle")
        }
    }

    @Test func aGetOnAConnectionTheServerDroppedIsTriedOnceMoreOnAFreshOne() async throws {
        try await withServer(.answerFirstOnly) { server, http in
            let first = try await http.request(.GET, "/a", token: "t")
            let second = try await http.request(.GET, "/b", token: "t")
            #expect(first.status == 200 && second.status == 200)
            #expect(server.seen == .init(connections: 2, requests: 3))
            #expect(http.pool.connectionsOpened == 2)
        }
    }

    @Test func aPostOnAConnectionTheServerDroppedIsNotRepeated() async throws {
        try await withServer(.answerFirstOnly) { server, http in
            let body = ByteBuffer(string: "{}")
            _ = try await http.request(.POST, "/a", token: "t", body: body)
            await #expect(throws: NodeAPIError.self) {
                _ = try await http.request(.POST, "/b", token: "t", body: body)
            }
            #expect(server.seen == .init(connections: 1, requests: 2))
        }
    }

    @Test func aConnectionTheServerClosesAfterItsAnswerIsNotReused() async throws {
        try await withServer(.closeAfterEach) { server, http in
            for _ in 0..<3 {
                let reply = try await http.request(.GET, "/", token: "t")
                #expect(reply.status == 200)
            }
            #expect(server.seen == .init(connections: 3, requests: 3))
            #expect(http.pool.idleCount == 0)
        }
    }

    @Test func anIdleConnectionIsClosedByTheClientAfterItsLifetime() async throws {
        try await withServer(.answerFirstOnly) { server, http in
            _ = try await http.request(.GET, "/", token: "t")
            #expect(http.pool.idleCount == 1)
            var closes = server.closed.makeAsyncIterator()
            // The server never closes a connection in this script after an answer: the close is the client's.
            let began = ContinuousClock.now
            _ = await closes.next()
            #expect(ContinuousClock.now - began >= .milliseconds(1_500), "not closed before its idle lifetime")
            #expect(http.pool.idleCount == 0)
        }
    }

    private func withServer(
        _ script: ScriptedHTTPServer.Script,
        _ body: (ScriptedHTTPServer, LoopbackHTTP) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer(script, group: group)
        do {
            try await body(server, LoopbackHTTP(group: group, host: "127.0.0.1", port: server.port))
            try await server.close()
        } catch {
            try? await server.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
