import Indexer
import Testing

/// The crawl's backlog keeps the newest findings up to its bound and says how many of the oldest it dropped.
@Suite struct CrawlBacklogTests {
    @Test func keepsTheNewestUpToTheBound() {
        var pending = Array(0..<10)
        #expect(CrawlBacklog.trim(&pending, to: 4) == 6)
        #expect(pending == [6, 7, 8, 9])
        #expect(CrawlBacklog.trim(&pending, to: 4) == 0)
        #expect(pending == [6, 7, 8, 9])
        #expect(CrawlBacklog.trim(&pending, to: -1) == 4)
        #expect(pending.isEmpty)
    }
}
