import MeshCore

/// The running server's `DashboardSessionTable`: the one place that reads the clock and the system's random
/// generator for it. One per API server; everything it holds is lost when the node stops (log in again).
actor DashboardSessionStore {
    private var table: DashboardSessionTable
    nonisolated let limits: DashboardSessionTable.Limits

    init(limits: DashboardSessionTable.Limits = .init()) {
        self.limits = limits
        table = DashboardSessionTable(limits: limits)
    }

    nonisolated var sessionLifetimeSeconds: Int64 { limits.sessionLifetime.components.seconds }
    nonisolated var codeLifetimeSeconds: Int64 { limits.codeLifetime.components.seconds }

    func issueCode() -> String {
        var random = SystemRandom()
        return table.issueCode(now: .now, random: &random)
    }

    func redeem(code: String) -> DashboardSessionTable.Session? {
        var random = SystemRandom()
        return table.redeem(code: code, now: .now, random: &random)
    }

    func session(cookie: String) -> DashboardSessionTable.Session? {
        table.session(cookie: cookie, now: .now)
    }

    func end(cookie: String) { table.end(cookie: cookie) }

    /// A token rotation ends every dashboard session: one may have been opened with the leaked token.
    func endAll() { table.endAll() }
}
