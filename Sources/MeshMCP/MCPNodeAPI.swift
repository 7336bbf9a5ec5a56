import MeshNodeAPI
import MeshPeer
import NIOCore

/// The node's local API for the MCP server: a client made afresh for each call from the data directory (so a
/// restarted node on another port is found), with untyped `throws`. Swift 6.3's optimiser crashes on release
/// builds of async code calling the client's `throws(NodeAPIError)` methods in loops and closures (see
/// MeshBench's BenchAPI); these non-inlined wrappers avoid it.
struct MCPNodeAPI: Sendable {
    let home: String
    let group: any EventLoopGroup

    @inline(never) func client() throws -> LocalAPIClient {
        try LocalAPIClient(directory: home, eventLoopGroup: group)
    }

    @inline(never) func status() async throws -> NodeStatus { try await client().status() }

    @inline(never) func find(_ query: FindQuery) async throws -> [AgentSummary] { try await client().find(query) }

    @inline(never) func knock(_ request: KnockRequest) async throws -> KnockSummary {
        try await client().knock(request)
    }

    @inline(never) func knocks() async throws -> [KnockSummary] { try await client().knocks() }

    @inline(never) func decide(knock id: String, accept: Bool, reason: String?) async throws -> KnockSummary {
        try await client().decide(knock: id, accept: accept, reason: reason)
    }

    @inline(never) func send(_ request: SendRequest) async throws -> SentMessage { try await client().send(request) }

    @inline(never) func messages(after cursor: Int64, limit: Int, wait: Duration?) async throws -> MessagePage {
        try await client().messages(after: cursor, limit: limit, wait: wait)
    }

    @inline(never) func sentMessage(id: String) async throws -> SentMessage {
        try await client().sentMessage(id: id)
    }

    @inline(never) func contacts() async throws -> [ContactSummary] { try await client().contacts() }

    @inline(never) func connectEvents() async throws -> AsyncThrowingStream<NodeEvent, any Error> {
        try await client().connectEvents()
    }
}
