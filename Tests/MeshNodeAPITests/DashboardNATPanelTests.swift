import Foundation
import MeshPeer
import Testing

@testable import MeshNodeAPI

/// The network panel shows the node's NAT class with its certainty (decision 0101), and says when there is none yet.
@Suite struct DashboardNATPanelTests {
    func snapshot(_ nat: NATStatus?) -> DashboardSnapshot { .networkOnly(nat: nat) }

    func nat(_ natClass: String, _ certainty: String, answered: Int) -> NATStatus {
        NATStatus(
            natClass: natClass,
            certainty: certainty,
            publicAddress: "203.0.113.7:40000",
            serversAsked: 4,
            serversAnswered: answered,
            measuredAt: "2026-12-05T06:00:00Z"
        )
    }

    @Test func theNetworkPanelShowsTheClassAndHowSureItIs() {
        let full = DashboardPanels.network(snapshot(nat("symmetric", "full", answered: 3)))
        #expect(full.contains("<strong id=\"nat-class\">symmetric</strong>"))
        #expect(full.contains("<span id=\"nat-certainty\">full</span>: measured by 3 servers"))
        #expect(full.contains("datetime=\"2026-12-05T06:00:00Z\""))
        let partial = DashboardPanels.network(snapshot(nat("cone", "partial", answered: 1)))
        #expect(partial.contains("a symmetric NAT cannot be told from a cone"))
        let none = DashboardPanels.network(snapshot(nat("no-answer", "none", answered: 0)))
        #expect(none.contains("no server answered: UDP may be blocked"))
        let unknown = DashboardPanels.network(snapshot(nil))
        #expect(unknown.contains("not measured yet"))
        #expect(!unknown.contains("nat-class"))
    }

    @Test func aClassFromTheNodeIsEscaped() {
        let html = DashboardPanels.network(snapshot(nat("<b>", "full", answered: 2)))
        #expect(html.contains("&lt;b&gt;"))
        #expect(!html.contains("<b>"))
    }
}
