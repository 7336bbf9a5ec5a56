import MeshPeer

/// The breaker as the dashboard shows it.
struct DashboardBreaker: Sendable, Hashable {
    var tripped: Bool
    var reason: String?
    var since: String?
    var automatic: Bool

    static func read(from control: any NodeControl) async -> Result<DashboardBreaker, NodeAPIError> {
        .failure(unavailable)
    }

    static let unavailable = NodeAPIError(.unavailable, "the circuit breaker is not available in this build")

    static func trip(_ control: any NodeControl, reason: String) async throws(NodeAPIError) {
        throw unavailable
    }

    static func reset(_ control: any NodeControl) async throws(NodeAPIError) {
        throw unavailable
    }
}

/// The newest audit entries and whether the whole chain verifies.
struct DashboardAudit: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var seq: Int64
        var at: String
        var kind: String
        var peer: String?
        var intent: String?
        var detail: String
    }

    /// How many of the newest entries the panel lists.
    static let shown = 20

    var entries: [Entry]
    var verified: Bool
    var checked: Int
    var firstBadSeq: Int64?
    var reason: String?

    static func read(from control: any NodeControl) async -> Result<DashboardAudit, NodeAPIError> {
        .failure(NodeAPIError(.unavailable, "the audit log is not available in this build"))
    }
}
