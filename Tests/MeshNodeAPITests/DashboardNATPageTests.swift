import Foundation
import MeshNodeAPI
import MeshPeer
import Testing

/// The NAT class reaches the dashboard page the real server renders (decision 0101): the test double's status says
/// `port-restricted` with certainty `partial`, and the logged-in page shows both, and says what `partial` means.
@Suite struct DashboardNATPageTests {
    @Test func theNetworkPanelOnThePageShowsTheNATClassAndItsCertainty() async throws {
        try await APIHarness.with { api in
            let browser = try await DashboardBrowser.loggedIn(api)
            let page = try await browser.get("/dashboard")
            #expect(page.status == 200)
            #expect(page.body.contains("<strong id=\"nat-class\">port-restricted</strong>"))
            #expect(page.body.contains("<span id=\"nat-certainty\">partial</span>"))
            #expect(page.body.contains("a symmetric NAT cannot be told from a cone"))
            #expect(!page.body.contains("not measured yet"))
        }
    }
}
