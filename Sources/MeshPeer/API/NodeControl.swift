/// What the local agent API can ask of a running node. The HTTP server (MeshNodeAPI) only translates requests
/// into these calls and their results or `NodeAPIError`s into responses; the node (MeshNode) implements them.
public protocol NodeControl: Sendable {
    func status() async -> NodeStatus
    /// Agents offering a capability, or the agent with a DID; every result was verified before it is returned.
    func find(_ query: FindQuery) async throws(NodeAPIError) -> [AgentSummary]
    func knock(_ request: KnockRequest) async throws(NodeAPIError) -> KnockSummary
    /// Returns once the message is stored in the outbox (encrypted), never before.
    func send(_ request: SendRequest) async throws(NodeAPIError) -> SentMessage
    /// Received messages after `cursor` (exclusive), oldest first; with `wait`, blocks up to that long for one.
    func messages(after cursor: Int64, limit: Int, wait: Duration?) async throws(NodeAPIError) -> MessagePage
    /// A message this node sent: its delivery state.
    func sentMessage(id: String) async throws(NodeAPIError) -> SentMessage
    func knocks() async throws(NodeAPIError) -> [KnockSummary]
    func decide(knock id: String, accept: Bool, reason: String?) async throws(NodeAPIError) -> KnockSummary
    func contacts() async throws(NodeAPIError) -> [ContactSummary]
    /// A new knock token, republished at once: knocks carrying an older one are refused once the previous token's
    /// grace (one record lifetime, so senders holding the last record are not cut off) has passed.
    func rotateKnockToken() async throws(NodeAPIError) -> KnockTokenRotation
    /// Live events. The stream is bounded: a subscriber that falls behind loses live events (counted in
    /// `NodeEvent.dropped` of the next one it gets) and catches up from `messages(after:)` by cursor.
    func subscribe() async -> AsyncStream<NodeEvent>
    /// Prometheus text exposition of the node's metrics.
    func metrics() async -> String
    /// Conversations (metadata only) and traffic by hour for the owner's dashboard (default: not available).
    func dashboardFacts() async throws(NodeAPIError) -> DashboardFacts
    /// The owner's audit log: entries after `sequence` (oldest first), and whether the whole chain verifies.
    func auditEntries(after sequence: UInt64, limit: Int) async throws(NodeAPIError) -> AuditPage
    func verifyAudit() async throws(NodeAPIError) -> AuditVerification
    /// The circuit breaker: its state, and the owner's trip and reset (each audited and announced as an event).
    func breaker() async throws(NodeAPIError) -> BreakerStatus
    func tripBreaker(reason: String) async throws(NodeAPIError) -> BreakerStatus
    func resetBreaker() async throws(NodeAPIError) -> BreakerStatus
    /// Invites to a private agent (docs/exposure.md); the defaults in InviteModels.swift say "not available".
    func createInvite(_ request: InviteCreateRequest) async throws(NodeAPIError) -> InviteSummary
    func invites() async throws(NodeAPIError) -> [InviteSummary]
    func revokeInvite(id: String) async throws(NodeAPIError) -> InviteSummary
    /// Finds the agent an invite leads to (its sealed record, opened and verified) and remembers the invite.
    func resolveInvite(_ request: InviteResolveRequest) async throws(NodeAPIError) -> AgentSummary
    /// How conversations travel (relay or direct), and the owner's reset of one (docs/paths.md).
    func paths() async throws(NodeAPIError) -> PathsReport
    func resetPath(peer: String) async throws(NodeAPIError) -> PathsReport
}
