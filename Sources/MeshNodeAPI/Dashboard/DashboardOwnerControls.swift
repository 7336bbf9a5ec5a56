import MeshPeer

/// The breaker as the dashboard shows it, read from and switched through the node's own calls (the same ones
/// `/v1/breaker` uses), so the page and the API can never disagree.
struct DashboardBreaker: Sendable, Hashable {
    var tripped: Bool
    var reason: String?
    var since: String?
    var automatic: Bool

    init(_ status: BreakerStatus) {
        tripped = status.isTripped
        reason = status.reason
        since = status.since
        automatic = status.automatic
    }

    static func read(from control: any NodeControl) async -> Result<DashboardBreaker, NodeAPIError> {
        do { return .success(DashboardBreaker(try await control.breaker())) } catch { return .failure(error) }
    }

    static func trip(_ control: any NodeControl, reason: String) async throws(NodeAPIError) {
        guard reason.utf8.count <= 200 else { throw NodeAPIError(.badRequest, "the reason is at most 200 bytes") }
        _ = try await control.tripBreaker(reason: reason)
    }

    static func reset(_ control: any NodeControl) async throws(NodeAPIError) {
        _ = try await control.resetBreaker()
    }
}

/// The newest audit entries and whether the whole chain verifies.
struct DashboardAudit: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var seq: UInt64
        var at: String
        var kind: String
        var peer: String?
        var intent: String?
        var detail: String
    }

    /// How many of the newest entries the panel lists.
    static let shown = 20
    /// Pages read at most to reach the newest entries (the first read aims at them directly).
    static let maximumPages = 4

    var entries: [Entry]
    var verified: Bool
    var checked: Int
    var firstBadSeq: UInt64?
    var reason: String?

    static func read(from control: any NodeControl) async -> Result<DashboardAudit, NodeAPIError> {
        do {
            let verification = try await control.verifyAudit()
            // Entries after a trimmed head are numbered on from the checkpoint: aim at the last `shown`.
            let newest = (verification.checkpoint?.seq ?? 0) + UInt64(max(verification.entries, 0))
            var after = newest > UInt64(shown) ? newest - UInt64(shown) : 0
            var views: [AuditEntryView] = []
            for _ in 0..<maximumPages {
                let page = try await control.auditEntries(after: after, limit: shown)
                views = Array((views + page.entries).suffix(shown))
                guard let next = page.next, next > after else { break }
                after = next
            }
            return .success(
                DashboardAudit(
                    entries: views.reversed().map(Entry.init),
                    verified: verification.ok,
                    checked: verification.entries,
                    firstBadSeq: verification.firstBadSeq,
                    reason: verification.reason
                )
            )
        } catch {
            return .failure(error)
        }
    }
}

extension DashboardAudit.Entry {
    init(_ view: AuditEntryView) {
        seq = view.seq
        at = view.at
        kind = view.kind
        peer = view.peer
        intent = view.intent
        var parts = view.detail.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        if let size = view.size { parts.insert("\(size) bytes", at: 0) }
        if let path = view.path { parts.insert("via \(path)", at: 0) }
        detail = parts.joined(separator: ", ")
    }
}
