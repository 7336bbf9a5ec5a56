import MeshPeer

/// The owner's controls: the audit log and the circuit breaker.
extension LocalAPIClient {
    /// Audit entries after `sequence` (oldest first); `next` is the cursor of the following page.
    public func audit(after sequence: UInt64 = 0, limit: Int = 100) async throws(NodeAPIError) -> AuditPage {
        try await call(.GET, "/v1/audit?after=\(sequence)&limit=\(limit)")
    }

    /// Whether the whole chain verifies, and if not, the first entry that breaks it and how.
    public func verifyAudit() async throws(NodeAPIError) -> AuditVerification {
        try await call(.GET, "/v1/audit/verify")
    }

    public func breaker() async throws(NodeAPIError) -> BreakerStatus {
        try await call(.GET, "/v1/breaker")
    }

    /// Stops every send at once: no message, knock or receipt leaves until `resetBreaker()`.
    public func tripBreaker(reason: String) async throws(NodeAPIError) -> BreakerStatus {
        try await call(.POST, "/v1/breaker/trip", body: BreakerTripRequest(reason: reason))
    }

    public func resetBreaker() async throws(NodeAPIError) -> BreakerStatus {
        try await call(.POST, "/v1/breaker/reset", body: EmptyBody())
    }

    /// How conversations travel now: relay or direct, per contact with an attempt or a channel.
    public func paths() async throws(NodeAPIError) -> PathsReport {
        try await call(.GET, "/v1/paths")
    }

    /// Drops the direct channel to `peer` (its conversation continues on the relay at once).
    public func resetPath(peer: String) async throws(NodeAPIError) -> PathsReport {
        try await call(.POST, "/v1/paths/reset", body: PathResetRequest(peer: peer))
    }
}

/// `{}`.
struct EmptyBody: Encodable {}
