import MeshNodeAPI
import MeshPeer

/// `LocalAPIClient` with untyped `throws`. Swift 6.3's optimiser crashes (signal 11 in LLVM's coroutine split,
/// `emitSetAndGetSwiftErrorValueAround`) on release builds of async code in this module that calls the client's
/// `throws(NodeAPIError)` methods inside loops and closures; calling them through these non-inlined wrappers
/// avoids it.
struct BenchAPI: Sendable {
    let client: LocalAPIClient

    @inline(never) func status() async throws -> NodeStatus { try await client.status() }

    @inline(never) func find(did: String) async throws -> [AgentSummary] { try await client.find(.did(did)) }

    @inline(never) func knock(_ request: KnockRequest) async throws -> KnockSummary {
        try await client.knock(request)
    }

    @inline(never) func send(_ request: SendRequest) async throws -> SentMessage { try await client.send(request) }

    @inline(never) func messages(after cursor: Int64, limit: Int, wait: Duration?) async throws -> MessagePage {
        try await client.messages(after: cursor, limit: limit, wait: wait)
    }

    @inline(never) func metrics() async throws -> String { try await client.metrics() }

    @inline(never) func paths() async throws -> PathsReport { try await client.paths() }

    @inline(never) func sent(id: String) async throws -> SentMessage { try await client.sentMessage(id: id) }

    @inline(never) func resetPath(peer: String) async throws -> PathsReport { try await client.resetPath(peer: peer) }

    @inline(never) func connectEvents() async throws -> AsyncThrowingStream<NodeEvent, any Error> {
        try await client.connectEvents()
    }
}
