import MeshPeer

/// The test double's owner controls: fixed, well-formed answers (the breaker's state is not kept), enough for the
/// HTTP layer's routes and for schemathesis to check their shapes against docs/openapi.yaml.
extension FakeNode {
    static let limits = BreakerLimitsView(
        perPeer: .init(perSecond: 20, burst: 200),
        perIntent: .init(perSecond: 50, burst: 500),
        sendSpike: .init(count: 3_000, windowSeconds: 60),
        newContacts: .init(count: 50, windowSeconds: 600),
        decryptFailures: .init(count: 50, windowSeconds: 600),
        newPeers: .init(count: 30, windowSeconds: 600)
    )

    static let auditEntry = AuditEntryView(
        seq: 1,
        at: time,
        kind: "breaker.tripped",
        peer: nil,
        intent: nil,
        size: nil,
        path: nil,
        detail: ["by": "owner", "reason": "test"],
        hash: String(repeating: "ab", count: 32),
        prevHash: String(repeating: "cd", count: 32)
    )

    func auditEntries(after sequence: UInt64, limit: Int) async throws(NodeAPIError) -> AuditPage {
        AuditPage(entries: sequence == 0 ? [Self.auditEntry] : [], next: nil)
    }

    func verifyAudit() async throws(NodeAPIError) -> AuditVerification {
        AuditVerification(ok: true, entries: 1, firstBadSeq: nil, reason: nil, checkpoint: nil)
    }

    func breaker() async throws(NodeAPIError) -> BreakerStatus {
        BreakerStatus(state: "closed", reason: nil, since: nil, automatic: false, limits: Self.limits)
    }

    func tripBreaker(reason: String) async throws(NodeAPIError) -> BreakerStatus {
        BreakerStatus(state: "tripped", reason: reason, since: Self.time, automatic: false, limits: Self.limits)
    }

    func resetBreaker() async throws(NodeAPIError) -> BreakerStatus { try await breaker() }

    /// One conversation on a direct path, so the report's item schema is checked too.
    func paths() async throws(NodeAPIError) -> PathsReport {
        PathsReport(
            mode: "auto",
            directChannels: 1,
            attemptsStarted: 1,
            offersAnswered: 0,
            channelsValidated: 1,
            fallbacks: 0,
            failures: 0,
            timeToDirectMsP50: 12.5,
            timeToDirectMsP95: 12.5,
            peers: [
                PeerPath(
                    peer: "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
                    path: "direct",
                    phase: "direct",
                    local: "127.0.0.1:40000",
                    remote: "127.0.0.1:40001"
                )
            ]
        )
    }

    func resetPath(peer: String) async throws(NodeAPIError) -> PathsReport {
        throw NodeAPIError(.notFound, "no direct path or attempt to \(peer)")
    }
}
