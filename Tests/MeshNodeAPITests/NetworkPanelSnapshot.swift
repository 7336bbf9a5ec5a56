import MeshPeer

@testable import MeshNodeAPI

extension DashboardSnapshot {
    /// A node with nothing going on and only what the network panel reads set: its exposure and NAT status. Every
    /// other panel's source is unavailable.
    static func networkOnly(exposure: Exposure = .listed, nat: NATStatus? = nil) -> DashboardSnapshot {
        DashboardSnapshot(
            status: NodeStatus(
                did: "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
                nodeID: String(repeating: "ab", count: 32),
                version: "0.0.0-test",
                uptimeSeconds: 1,
                dhtContacts: 0,
                published: false,
                relays: [],
                outboxPending: 0,
                inboxCount: 0,
                knocksPending: 0,
                contacts: 0,
                exposure: exposure,
                nat: nat
            ),
            knocks: .success([]),
            contacts: .success([]),
            facts: .failure(NodeAPIError(.unavailable, "none")),
            counters: [:],
            breaker: .failure(NodeAPIError(.unavailable, "none")),
            audit: .failure(NodeAPIError(.unavailable, "none"))
        )
    }
}
