/// The crawl's findings waiting for the mirror are fed by the network, so they are bounded: a crawl that outruns
/// the writer keeps the newest and drops the oldest, which a later walk finds again.
public enum CrawlBacklog {
    /// Drops the oldest elements beyond `limit` (at least 0); returns how many went.
    public static func trim<Element>(_ pending: inout [Element], to limit: Int) -> Int {
        let excess = pending.count - max(0, limit)
        guard excess > 0 else { return 0 }
        pending.removeFirst(excess)
        return excess
    }
}
