import MeshPeer

/// Everything one dashboard page shows, gathered from the node at once. A part the node cannot give is kept as
/// its error, and only that panel says so; the rest of the page still renders.
struct DashboardSnapshot: Sendable {
    var status: NodeStatus
    var knocks: Result<[KnockSummary], NodeAPIError>
    var contacts: Result<[ContactSummary], NodeAPIError>
    var facts: Result<DashboardFacts, NodeAPIError>
    /// Counters from the node's Prometheus text (since the process started), summed over their labels.
    var counters: [String: Double]
    var breaker: Result<DashboardBreaker, NodeAPIError>
    var audit: Result<DashboardAudit, NodeAPIError>

    static func gather(from control: any NodeControl) async -> DashboardSnapshot {
        async let status = control.status()
        async let knocks = capture { () async throws(NodeAPIError) in try await control.knocks() }
        async let contacts = capture { () async throws(NodeAPIError) in try await control.contacts() }
        async let facts = capture { () async throws(NodeAPIError) in try await control.dashboardFacts() }
        async let metrics = control.metrics()
        async let breaker = DashboardBreaker.read(from: control)
        async let audit = DashboardAudit.read(from: control)
        return DashboardSnapshot(
            status: await status,
            knocks: await knocks,
            contacts: await contacts,
            facts: await facts,
            counters: counters(in: await metrics),
            breaker: await breaker,
            audit: await audit
        )
    }

    static func capture<T: Sendable>(
        _ body: @Sendable () async throws(NodeAPIError) -> T
    ) async -> Result<T, NodeAPIError> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// The node's counters worth showing, read from Prometheus text (at most `maximumLines` lines are read).
    static func counters(in text: String, maximumLines: Int = 4_000) -> [String: Double] {
        var values = [String: Double]()
        for line in text.split(separator: "\n", maxSplits: maximumLines).prefix(maximumLines) {
            guard line.hasPrefix("meshpeer_"), let space = line.lastIndex(of: " ") else { continue }
            let key = line[..<space]
            let name = key.firstIndex(of: "{").map { key[..<$0] } ?? key
            guard let value = Double(line[line.index(after: space)...]), value.isFinite else { continue }
            values[String(name), default: 0] += value
        }
        return values
    }
}
