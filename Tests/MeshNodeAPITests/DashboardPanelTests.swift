import Foundation
import MeshPeer
import Testing

@testable import MeshNodeAPI

/// The owner-control panels as the node's answers make them: the breaker's switch flips with its state, and an
/// audit chain that does not verify is announced with the first bad entry.
@Suite struct DashboardPanelTests {
    static let limits = BreakerLimitsView(
        perPeer: .init(perSecond: 1, burst: 5),
        perIntent: .init(perSecond: 1, burst: 5),
        sendSpike: .init(count: 100, windowSeconds: 60),
        newContacts: .init(count: 20, windowSeconds: 600),
        decryptFailures: .init(count: 20, windowSeconds: 600),
        newPeers: .init(count: 30, windowSeconds: 600)
    )
    static let csrf = String(repeating: "c", count: 64)

    @Test func aClosedBreakerOffersTheTripFormAndATrippedOneTheReset() {
        let closed = DashboardBreaker(
            BreakerStatus(state: "closed", reason: nil, since: nil, automatic: false, limits: Self.limits)
        )
        let closedHTML = DashboardPanels.breaker(.success(closed), csrf: Self.csrf)
        #expect(closedHTML.contains("id=\"breaker-state\">closed<"))
        #expect(closedHTML.contains("action=\"/dashboard/breaker/trip\""))
        #expect(closedHTML.contains("<label for=\"breaker-reason\">"))
        #expect(closedHTML.contains("value=\"\(Self.csrf)\""))
        #expect(!closedHTML.contains("/dashboard/breaker/reset"))
        let tripped = DashboardBreaker(
            BreakerStatus(
                state: "tripped",
                reason: "automatic: <a flood>",
                since: "2026-12-04T23:00:00.000Z",
                automatic: true,
                limits: Self.limits
            )
        )
        let trippedHTML = DashboardPanels.breaker(.success(tripped), csrf: Self.csrf)
        #expect(trippedHTML.contains("id=\"breaker-state\">tripped<"))
        #expect(trippedHTML.contains("(automatic: automatic: &lt;a flood&gt;)"))
        #expect(trippedHTML.contains("action=\"/dashboard/breaker/reset\""))
        #expect(!trippedHTML.contains("/dashboard/breaker/trip"))
        let missing = DashboardPanels.breaker(.failure(NodeAPIError(.unavailable, "no breaker here")), csrf: Self.csrf)
        #expect(missing.contains("Not available: no breaker here."))
    }

    /// Issue 18: the exposure level is on the dashboard as well as in `status`.
    @Test func theNetworkPanelNamesTheExposureLevel() {
        for (level, words) in [(Exposure.listed, "listed"), (.unlisted, "unlisted"), (.private, "only with an invite")]
        {
            let snapshot = DashboardSnapshot.networkOnly(exposure: level)
            #expect(DashboardPanels.network(snapshot).contains(words), "\(level)")
        }
    }

    @Test func anAuditChainThatDoesNotVerifyIsAnnounced() {
        let entry = DashboardAudit.Entry(
            AuditEntryView(
                seq: 7,
                at: "2026-12-04T23:00:00.000Z",
                kind: "message.sent",
                peer: FakeNode.peerDID,
                intent: "chat.message",
                size: 42,
                path: "relay",
                detail: ["b": "2", "a": "<1>"],
                hash: "00",
                prevHash: "00"
            )
        )
        #expect(entry.detail == "via relay, 42 bytes, a: <1>, b: 2")
        let broken = DashboardAudit(entries: [entry], verified: false, checked: 9, firstBadSeq: 5, reason: "hash")
        let html = DashboardPanels.audit(.success(broken))
        #expect(html.contains("role=\"alert\""))
        #expect(html.contains("The chain does not verify: entry 5 is wrong (hash)."))
        #expect(html.contains("a: &lt;1&gt;"))
        let good = DashboardAudit(entries: [], verified: true, checked: 0, firstBadSeq: nil, reason: nil)
        #expect(DashboardPanels.audit(.success(good)).contains("The chain verifies (0 entries)."))
    }
}
