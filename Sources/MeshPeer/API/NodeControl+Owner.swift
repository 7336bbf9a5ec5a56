/// Defaults for a node without the owner's controls (test doubles, older builds): the API answers 503.
extension NodeControl {
    public func auditEntries(after sequence: UInt64, limit: Int) async throws(NodeAPIError) -> AuditPage {
        throw NodeAPIError(.unavailable, "this node keeps no audit log")
    }

    public func verifyAudit() async throws(NodeAPIError) -> AuditVerification {
        throw NodeAPIError(.unavailable, "this node keeps no audit log")
    }

    public func breaker() async throws(NodeAPIError) -> BreakerStatus {
        throw NodeAPIError(.unavailable, "this node has no circuit breaker")
    }

    public func tripBreaker(reason: String) async throws(NodeAPIError) -> BreakerStatus {
        throw NodeAPIError(.unavailable, "this node has no circuit breaker")
    }

    public func resetBreaker() async throws(NodeAPIError) -> BreakerStatus {
        throw NodeAPIError(.unavailable, "this node has no circuit breaker")
    }
}
